/**
 * The worked example operators follow: subnet 10.1.20.0/24, gateway 10.1.20.1, reserved
 * .1–.10, dynamic .200–.254 — on a managed and on an unmanaged subnet.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { checkStatic, IpExhaustedError, pickAuto, reservedRanges, unreservedRanges } from '../../src/domain/network/ipam.ts';
import { percentString, statistics } from '../../src/domain/network/statistics.ts';
import { validateIpRange } from '../../src/domain/network/validate.ts';
import { range, subnet } from './fixtures.ts';

const managed = subnet({ cidr: '10.1.20.0/24', gateway_ip: '10.1.20.1' });
const unmanaged = { ...managed, managed: false };
const ranges = [range('reserved', '10.1.20.1', '10.1.20.10'), range('dynamic', '10.1.20.200', '10.1.20.254')];
const ip = (n: number) => `10.1.20.${n}`;

describe('managed subnet', () => {
  test('AUTO assignment hands out .11, .12, … .199 in order and nothing else, then a clear exhaustion error', () => {
    const used: string[] = [];
    for (let n = 11; n <= 199; n++) {
      const got = pickAuto(managed, ranges, used);
      assert.equal(got, ip(n));
      used.push(got);
    }
    assert.throws(
      () => pickAuto(managed, ranges, used),
      (e: unknown) =>
        e instanceof IpExhaustedError &&
        e.kind === 'unavailable' &&
        e.message.startsWith('No more IPs available in subnet: 10.1.20.0/24.') &&
        /outside its reserved and dynamic ranges/.test(e.message),
    );
  });

  test('a released address is handed out again before higher ones', () => {
    const used = [ip(11), ip(12), ip(14)];
    assert.equal(pickAuto(managed, ranges, used), ip(13));
    assert.equal(pickAuto(managed, ranges, [ip(11), ip(12), ip(13), ip(14)]), ip(15));
  });

  test('observed addresses and explicit exclusions are avoided', () => {
    assert.equal(pickAuto(managed, ranges, [{ ip: ip(11), alloc_type: 6 }], { exclude: [ip(12)] }), ip(13));
  });

  const statics: [number, string, RegExp | null][] = [
    [0, 'network_address', /10\.1\.20\.0 is the network address of 10\.1\.20\.0\/24/],
    [1, 'gateway', /10\.1\.20\.1 is the gateway of subnet 10\.1\.20\.0\/24/],
    [5, 'reserved_range', /^10\.1\.20\.5 is within the reserved range from 10\.1\.20\.1 to 10\.1\.20\.10\.$/],
    [10, 'reserved_range', /reserved range/],
    [11, 'ok', null],
    [199, 'ok', null],
    [200, 'dynamic_range', /^10\.1\.20\.200 is within the dynamic range from 10\.1\.20\.200 to 10\.1\.20\.254\.$/],
    [254, 'dynamic_range', /dynamic range/],
    [255, 'broadcast_address', /broadcast address/],
  ];
  for (const [n, code, why] of statics) {
    test(`checkStatic .${n}: ${code}`, () => {
      const r = checkStatic(ip(n), managed, ranges);
      if (code === 'ok') assert.deepEqual(r, { ok: true, ip: ip(n) });
      else assert.ok(!r.ok && r.code === code && why!.test(r.reason), JSON.stringify(r));
    });
  }

  test('checkStatic: outside the subnet, malformed, already in use', () => {
    assert.deepEqual(checkStatic('10.1.21.5', managed, ranges), { ok: false, code: 'out_of_subnet', reason: '10.1.21.5 is not within subnet CIDR: 10.1.20.0/24.' });
    assert.deepEqual(checkStatic('10.1.20', managed, ranges), { ok: false, code: 'invalid', reason: '"10.1.20" is not a valid IP address.' });
    assert.deepEqual(checkStatic(ip(50), managed, ranges, [ip(50)]), { ok: false, code: 'in_use', reason: 'The IP address 10.1.20.50 is already in use.' });
  });

  test('reserved and unreserved ranges, MAAS shapes', () => {
    assert.deepEqual(reservedRanges(managed, ranges, [ip(11)]), [
      { start: ip(1), end: ip(10), num_addresses: 10, purpose: ['gateway-ip', 'reserved'] },
      { start: ip(11), end: ip(11), num_addresses: 1, purpose: ['assigned-ip'] },
      { start: ip(200), end: ip(254), num_addresses: 55, purpose: ['dynamic'] },
    ]);
    assert.deepEqual(unreservedRanges(managed, ranges, [ip(11)]), [{ start: ip(12), end: ip(199), num_addresses: 188 }]);
  });

  test('statistics, MAAS shape', () => {
    assert.deepEqual(statistics(managed, ranges, [], { includeRanges: true, includeSuggestions: true }), {
      num_available: 189,
      largest_available: 189,
      num_unavailable: 65,
      total_addresses: 254,
      usage: 65 / 254,
      usage_string: '26%',
      available_string: '74%',
      first_address: ip(1),
      last_address: ip(254),
      ip_version: 4,
      ranges: [
        { start: ip(1), end: ip(10), num_addresses: 10, purpose: ['gateway-ip', 'reserved'] },
        { start: ip(11), end: ip(199), num_addresses: 189, purpose: ['unused'] },
        { start: ip(200), end: ip(254), num_addresses: 55, purpose: ['dynamic'] },
      ],
      suggested_gateway: null,
      suggested_dynamic_range: null,
    });
  });

  test('suggestions for a bare subnet: gateway .1, dynamic range the top quarter', () => {
    const s = statistics({ ...managed, gateway_ip: null }, [], [], { includeSuggestions: true });
    assert.equal(s.suggested_gateway, ip(1));
    assert.deepEqual(s.suggested_dynamic_range, { start: ip(191), end: ip(254), num_addresses: 64, purpose: ['proposed-dynamic'] });
    assert.equal(s.ranges, undefined);
  });
});

describe('unmanaged subnet: only reserved ranges are assignable, dynamic ranges refused', () => {
  test('the dynamic range is refused by validation', () => {
    const issues = validateIpRange({ subnet_id: 1, type: 'dynamic', start_ip: ip(200), end_ip: ip(254) }, { subnet: unmanaged, ranges: [ranges[0]] });
    assert.equal(issues.length, 1);
    assert.equal(issues[0].field, 'type');
    assert.match(issues[0].message, /Dynamic ranges are refused on unmanaged subnet 10\.1\.20\.0\/24/);
  });

  test('AUTO assignment hands out .2 … .10 (the gateway .1 excluded), then exhaustion', () => {
    for (const rs of [[ranges[0]], ranges]) {
      const used: string[] = [];
      for (let n = 2; n <= 10; n++) {
        const got = pickAuto(unmanaged, rs, used);
        assert.equal(got, ip(n));
        used.push(got);
      }
      assert.throws(() => pickAuto(unmanaged, rs, used), /unmanaged, so addresses are only assigned from its reserved ranges, and every address in them is in use/);
    }
    assert.throws(() => pickAuto(unmanaged, [], []), /it has none; add a reserved range/);
  });

  test('checkStatic allows only reserved-range addresses', () => {
    assert.deepEqual(checkStatic(ip(5), unmanaged, ranges), { ok: true, ip: ip(5) });
    const outside = checkStatic(ip(50), unmanaged, ranges);
    assert.ok(!outside.ok && outside.code === 'outside_reserved' && /unmanaged, so only addresses in its reserved ranges/.test(outside.reason));
    const dyn = checkStatic(ip(210), unmanaged, ranges);
    assert.ok(!dyn.ok && dyn.code === 'dynamic_range');
    const gw = checkStatic(ip(1), unmanaged, ranges);
    assert.ok(!gw.ok && gw.code === 'gateway');
  });

  test('unreserved ranges are the free part of the reserved ranges', () => {
    assert.deepEqual(unreservedRanges(unmanaged, [ranges[0]], [ip(4)]), [
      { start: ip(2), end: ip(3), num_addresses: 2 },
      { start: ip(5), end: ip(10), num_addresses: 6 },
    ]);
  });
});

test('percentages are formatted like Python "{:.0%}" (half to even on the double)', () => {
  const cases: [number, string][] = [
    [0.125, '12%'], [0.375, '38%'], [1 / 3, '33%'], [2 / 3, '67%'], [0.5, '50%'], [0.995, '100%'],
    [0.025, '2%'], [0.015, '2%'], [0.135, '14%'], [0, '0%'], [1, '100%'], [0.005, '0%'], [0.045, '4%'], [1 / 256, '0%'],
  ];
  for (const [x, s] of cases) assert.equal(percentString(x), s, String(x));
});
