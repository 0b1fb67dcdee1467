import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  AddressError,
  addToIp,
  broadcastAddress,
  compareIp,
  contains,
  formatCidr,
  formatIp,
  isLinkLocal,
  lastAddress,
  netmask,
  networkSize,
  networksOverlap,
  normalizeIp,
  parseCidr,
  parseIp,
  parseInterfaceAddress,
  rangeSize,
} from '../../src/domain/network/ip.ts';

describe('parse and format (RFC 5952 for IPv6)', () => {
  const cases: [string, string, 4 | 6, bigint][] = [
    ['10.1.20.11', '10.1.20.11', 4, 0x0a01140bn],
    ['0.0.0.0', '0.0.0.0', 4, 0n],
    ['255.255.255.255', '255.255.255.255', 4, 0xffffffffn],
    [' 192.168.0.1 ', '192.168.0.1', 4, 0xc0a80001n],
    ['::', '::', 6, 0n],
    ['::1', '::1', 6, 1n],
    ['2001:DB8::1', '2001:db8::1', 6, 0x20010db8000000000000000000000001n],
    ['2001:0db8:0000:0000:0000:0000:0000:0001', '2001:db8::1', 6, 0x20010db8000000000000000000000001n],
    // RFC 5952 §4.2.2: a single zero group is not collapsed.
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1', 6, 0x20010db8000000010001000100010001n],
    // §4.2.3: the longest run is collapsed; on a tie, the first.
    ['2001:0:0:1:0:0:0:1', '2001:0:0:1::1', 6, 0x20010000000000010000000000000001n],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1', 6, 0x20010db8000000000001000000000001n],
    ['fe80::', 'fe80::', 6, 0xfe800000000000000000000000000000n],
    ['1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7:8', 6, 0x00010002000300040005000600070008n],
    ['1::', '1::', 6, 0x00010000000000000000000000000000n],
    // Embedded IPv4 (RFC 4291 §2.2 form 3); mapped addresses keep it on output (RFC 5952 §5).
    ['::ffff:10.1.2.3', '::ffff:10.1.2.3', 6, 0xffff0a010203n],
    ['64:ff9b::192.0.2.33', '64:ff9b::c000:221', 6, 0x0064ff9b0000000000000000c0000221n],
    ['1:2:3:4:5:6:1.2.3.4', '1:2:3:4:5:6:102:304', 6, 0x00010002000300040005000601020304n],
  ];
  for (const [input, text, version, value] of cases) {
    test(`${JSON.stringify(input)} → ${text}`, () => {
      const a = parseIp(input);
      assert.deepEqual(a, { version, value });
      assert.equal(formatIp(a), text);
      assert.equal(normalizeIp(text), text, 'canonical text is a fixed point');
    });
  }
});

describe('malformed addresses are refused with a reason', () => {
  const cases: [string, RegExp][] = [
    ['', /required/],
    ['10.1.20', /expected 4 dot-separated numbers, found 3/],
    ['10.1.20.256', /256 is greater than 255/],
    ['10.1.20.011', /leading zero/],
    ['10.1.20.-1', /"-1" is not a number from 0 to 255/],
    ['10.1.20.1.5', /found 5/],
    ['hello', /expected a dotted IPv4 or a colon-separated IPv6/],
    ['1::2::3', /"::" may appear only once/],
    ['1:2:3:4:5:6:7', /expected 8 groups, found 7/],
    ['1:2:3:4:5:6:7:8:9', /expected 8 groups, found 9/],
    ['1:2:3:4::5:6:7:8', /too many groups around "::"/],
    ['12345::', /"12345" is not a group of 1 to 4 hex digits/],
    ['fe80::1%eth0', /zone index/],
    [':1:2:3:4:5:6:7', /empty group/],
    ['::ffff:1.2.3.999', /999 is greater than 255/],
  ];
  for (const [input, why] of cases) {
    test(JSON.stringify(input), () => {
      assert.throws(() => parseIp(input), (e: unknown) => e instanceof AddressError && why.test(e.message));
    });
  }
});

describe('networks', () => {
  const cases: { cidr: string; size: bigint; last: string; broadcast: string | null; mask: string }[] = [
    { cidr: '10.1.20.0/24', size: 256n, last: '10.1.20.255', broadcast: '10.1.20.255', mask: '255.255.255.0' },
    { cidr: '10.1.20.0/22', size: 1024n, last: '10.1.23.255', broadcast: '10.1.23.255', mask: '255.255.252.0' },
    { cidr: '10.1.20.4/31', size: 2n, last: '10.1.20.5', broadcast: null, mask: '255.255.255.254' },
    { cidr: '10.1.20.9/32', size: 1n, last: '10.1.20.9', broadcast: null, mask: '255.255.255.255' },
    { cidr: '0.0.0.0/0', size: 1n << 32n, last: '255.255.255.255', broadcast: '255.255.255.255', mask: '0.0.0.0' },
    { cidr: '2001:db8::/64', size: 1n << 64n, last: '2001:db8::ffff:ffff:ffff:ffff', broadcast: null, mask: 'ffff:ffff:ffff:ffff::' },
    { cidr: '2001:db8::100/120', size: 256n, last: '2001:db8::1ff', broadcast: null, mask: 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ff00' },
  ];
  for (const c of cases) {
    test(c.cidr, () => {
      const n = parseCidr(c.cidr);
      assert.equal(formatCidr(n), c.cidr);
      assert.equal(networkSize(n), c.size);
      assert.equal(formatIp(lastAddress(n)), c.last);
      const b = broadcastAddress(n);
      assert.equal(b ? formatIp(b) : null, c.broadcast);
      assert.equal(formatIp(netmask(n)), c.mask);
    });
  }

  test('host bits are refused in strict mode with the fix named, cleared otherwise', () => {
    assert.throws(() => parseCidr('10.1.20.5/24'), /host bits set \(did you mean 10\.1\.20\.0\/24\?\)/);
    assert.equal(formatCidr(parseCidr('10.1.20.5/24', { strict: false })), '10.1.20.0/24');
  });

  const bad: [string, RegExp][] = [
    ['10.1.20.0', /expected <address>\/<prefix length>/],
    ['10.1.20.0/33', /prefix length must be a number from 0 to 32/],
    ['2001:db8::/129', /from 0 to 128/],
    ['10.1.20.0/x', /prefix length/],
    ['10.1.20/24', /found 3/],
  ];
  for (const [input, why] of bad) test(`refuses ${input}`, () => assert.throws(() => parseCidr(input), why));

  test('containment, overlap, comparison and arithmetic', () => {
    const n = parseCidr('10.1.20.0/24');
    assert.equal(contains(n, parseIp('10.1.20.255')), true);
    assert.equal(contains(n, parseIp('10.1.21.0')), false);
    assert.equal(contains(n, parseIp('::a01:1400')), false, 'other family');
    assert.equal(networksOverlap(parseCidr('10.1.0.0/16'), n), true);
    assert.equal(networksOverlap(parseCidr('10.1.21.0/24'), n), false);
    assert.equal(networksOverlap(parseCidr('::/0'), n), false);
    assert.equal(compareIp(parseIp('10.0.0.2'), parseIp('10.0.0.10')), -1);
    assert.equal(compareIp(parseIp('255.255.255.255'), parseIp('::')), -1, 'IPv4 sorts first');
    assert.equal(formatIp(addToIp(parseIp('10.1.20.255'), 1n)), '10.1.21.0');
    assert.equal(formatIp(addToIp(parseIp('2001:db8::ffff'), 1n)), '2001:db8::1:0');
    assert.throws(() => addToIp(parseIp('255.255.255.255'), 1n), /outside the IPv4 address space/);
    assert.equal(rangeSize(parseIp('10.1.20.200'), parseIp('10.1.20.254')), 55n);
    assert.throws(() => rangeSize(parseIp('10.1.20.9'), parseIp('10.1.20.1')), /10\.1\.20\.1 is lower than 10\.1\.20\.9/);
    assert.equal(isLinkLocal(parseIp('fe80::1')), true);
    assert.equal(isLinkLocal(parseIp('169.254.3.4')), true);
    assert.equal(isLinkLocal(parseIp('2001:db8::1')), false);
    const ia = parseInterfaceAddress('10.1.20.11/24');
    assert.equal(formatIp(ia.address), '10.1.20.11');
    assert.equal(formatCidr(ia.network), '10.1.20.0/24');
  });
});
