/** Packet and option codecs: round trips, RFC examples, overload, long options, malformed input. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BOOTREQUEST, MAGIC_COOKIE, Opt } from '../../src/edges/rack/dhcp/codes.ts';
import { decodePacket, emptyPacket, encodePacket, MalformedPacket } from '../../src/edges/rack/dhcp/packet.ts';
import { decodeDomainSearch, encodeDomainSearch } from '../../src/edges/rack/dhcp/options-search.ts';
import { decodeArchList, decodeClientUuid, decodeNetworkInterfaceId, decodeUserClasses, bootClientKind } from '../../src/edges/rack/dhcp/options-pxe.ts';
import { decodeRelayAgentInfo, encodeRelayAgentInfo } from '../../src/edges/rack/dhcp/options-relay.ts';
import { decodeIpList, decodeText, encodeIpList, MalformedOption } from '../../src/edges/rack/dhcp/options-basic.ts';
import { readRequest } from '../../src/edges/rack/dhcp/request.ts';
import { parseCidr, parseIp, intToIp } from '../../src/edges/rack/dhcp/ipv4.ts';

function samplePacket() {
  const p = emptyPacket(BOOTREQUEST);
  p.xid = 0xdeadbeef;
  p.secs = 3;
  p.flags = 0x8000;
  p.ciaddr = '10.0.0.9';
  p.giaddr = '10.0.1.1';
  p.hops = 2;
  Buffer.from([0x52, 0x54, 0, 1, 2, 3]).copy(p.chaddr);
  p.sname = 'server';
  p.file = 'pxelinux.0';
  p.options.set(Opt.MESSAGE_TYPE, Buffer.from([1]));
  p.options.set(Opt.HOSTNAME, Buffer.from('node-1'));
  return p;
}

test('packet round trip keeps every header field and option', () => {
  const p = samplePacket();
  const { bytes, dropped } = encodePacket(p);
  assert.deepEqual(dropped, []);
  assert.ok(bytes.length >= 300, 'padded to the BOOTP minimum');
  assert.equal(bytes.readUInt32BE(236), MAGIC_COOKIE);
  const q = decodePacket(bytes);
  assert.deepEqual({ ...q, options: [...q.options] }, { ...p, options: [...p.options] });
});

test('long options are split (RFC 3396) and concatenated again', () => {
  const p = samplePacket();
  const big = Buffer.alloc(600, 7);
  p.options.set(Opt.DOMAIN_SEARCH, big);
  const { bytes, dropped } = encodePacket(p, { maxLength: 1400 });
  assert.deepEqual(dropped, []);
  // three instances of option 119 on the wire
  let count = 0;
  for (let i = 240; i < bytes.length && bytes[i] !== 255;) { if (bytes[i] === 119) count += 1; i += 2 + bytes[i + 1]; }
  assert.equal(count, 3);
  assert.deepEqual(decodePacket(bytes).options.get(Opt.DOMAIN_SEARCH), big);
});

test('options that do not fit overflow into file/sname (option 52), then are dropped', () => {
  const p = samplePacket();
  p.sname = '';
  p.file = '';
  for (let code = 200; code < 206; code += 1) p.options.set(code, Buffer.alloc(80, code));
  const { bytes, dropped } = encodePacket(p, { maxLength: 548 });
  assert.ok(bytes.length <= 548);
  const q = decodePacket(bytes);
  assert.equal(q.options.get(Opt.OVERLOAD)?.[0], 3);
  const kept = [...q.options.keys()].filter((c) => c >= 200);
  assert.ok(kept.length > 3, `file/sname used: kept ${kept}`);
  assert.equal(kept.length + dropped.length, 6);
  for (const c of kept) assert.deepEqual(q.options.get(c), Buffer.alloc(80, c));
  assert.equal(q.file, '');
});

test('no overload when file/sname are in use: options are dropped instead', () => {
  const p = samplePacket();
  for (let code = 200; code < 206; code += 1) p.options.set(code, Buffer.alloc(80, code));
  const { bytes, dropped } = encodePacket(p, { maxLength: 548 });
  const q = decodePacket(bytes);
  assert.equal(q.options.has(Opt.OVERLOAD), false);
  assert.equal(q.file, 'pxelinux.0');
  assert.ok(dropped.length > 0);
});

const malformed: Array<[string, (b: Buffer) => Buffer]> = [
  ['too short', (b) => b.subarray(0, 200)],
  ['bad cookie', (b) => { const c = Buffer.from(b); c[236] = 0; return c; }],
  ['hlen > 16', (b) => { const c = Buffer.from(b); c[2] = 17; return c; }],
  ['option overruns', (b) => { const c = Buffer.from(b.subarray(0, 245)); c[240] = 12; c[241] = 200; return c; }],
  ['length octet missing', (b) => { const c = Buffer.from(b.subarray(0, 241)); c[240] = 12; return c; }],
  ['bad overload value', (b) => { const c = Buffer.from(b.subarray(0, 244)); c.set([52, 1, 9, 255], 240); return c; }],
];
for (const [name, mutate] of malformed) {
  test(`decode rejects: ${name}`, () => {
    const bytes = encodePacket(samplePacket()).bytes;
    assert.throws(() => decodePacket(mutate(bytes)), MalformedPacket);
  });
}

test('RFC 3397 §3 example: eng.apple.com + marketing.apple.com', () => {
  const encoded = encodeDomainSearch(['eng.apple.com.', 'marketing.apple.com.']);
  const expected = Buffer.concat([
    Buffer.from([3]), Buffer.from('eng'), Buffer.from([5]), Buffer.from('apple'), Buffer.from([3]), Buffer.from('com'), Buffer.from([0]),
    Buffer.from([9]), Buffer.from('marketing'), Buffer.from([0xc0, 0x04]),
  ]);
  assert.deepEqual(encoded, expected);
  assert.deepEqual(decodeDomainSearch(encoded), ['eng.apple.com', 'marketing.apple.com']);
});

const searchLists: string[][] = [
  ['maas'],
  ['a.example', 'b.example', 'example', 'c.b.example'],
  Array.from({ length: 40 }, (_, i) => `zone${i}.rack${i % 3}.example.org`),
];
for (const list of searchLists) {
  test(`domain search round trip (${list.length} names)`, () => {
    assert.deepEqual(decodeDomainSearch(encodeDomainSearch(list)), list);
  });
}

test('domain search rejects forward and self pointers', () => {
  assert.throws(() => decodeDomainSearch(Buffer.from([0xc0, 0x00])), MalformedOption);
  assert.throws(() => decodeDomainSearch(Buffer.from([1, 0x61, 0xc0, 0x05, 0, 0])), MalformedOption);
  assert.throws(() => decodeDomainSearch(Buffer.from([5, 0x61])), MalformedOption);
});

test('PXE option family decoders', () => {
  assert.deepEqual(decodeArchList(Buffer.from([0, 7, 0, 0])), [7, 0]);
  assert.throws(() => decodeArchList(Buffer.from([0])), MalformedOption);
  assert.deepEqual(decodeNetworkInterfaceId(Buffer.from([1, 3, 16])), { type: 1, major: 3, minor: 16 });
  const uuid = Buffer.concat([Buffer.from([0]), Buffer.from('00112233445566778899aabbccddeeff', 'hex')]);
  assert.equal(decodeClientUuid(uuid), '00112233-4455-6677-8899-aabbccddeeff');
  assert.throws(() => decodeClientUuid(Buffer.alloc(5)), MalformedOption);
  assert.deepEqual(decodeUserClasses(Buffer.from('iPXE')), ['iPXE']);
  assert.deepEqual(decodeUserClasses(Buffer.from([4, ...Buffer.from('iPXE'), 3, ...Buffer.from('foo')])), ['iPXE', 'foo']);
  const kinds: Array<[string | undefined, string[], string]> = [
    ['PXEClient:Arch:00000:UNDI:002001', [], 'pxe'],
    ['HTTPClient:Arch:00016:UNDI:003000', [], 'http'],
    ['PXEClient:Arch:00000:UNDI:002001', ['iPXE'], 'ipxe'],
    ['udhcp 1.36.1', [], 'none'],
    [undefined, [], 'none'],
  ];
  for (const [vc, uc, kind] of kinds) assert.equal(bootClientKind(vc, uc), kind, `${vc} ${uc}`);
});

test('relay agent information: sub-options read, raw kept', () => {
  const raw = encodeRelayAgentInfo([[1, Buffer.from('eth0/1')], [2, Buffer.from([1, 2, 3])]]);
  const info = decodeRelayAgentInfo(raw);
  assert.equal(info.circuitId, Buffer.from('eth0/1').toString('hex'));
  assert.equal(info.remoteId, '010203');
  assert.deepEqual(info.raw, raw);
  const broken = decodeRelayAgentInfo(Buffer.from([1, 9, 1]));
  assert.equal(broken.circuitId, undefined);
  assert.deepEqual(broken.raw, Buffer.from([1, 9, 1]));
});

test('basic value codecs', () => {
  assert.deepEqual(decodeIpList(1, encodeIpList(['1.2.3.4', '5.6.7.8'])), ['1.2.3.4', '5.6.7.8']);
  assert.throws(() => decodeIpList(6, Buffer.alloc(5)), MalformedOption);
  assert.equal(decodeText(12, Buffer.from('host\0')), 'host');
  assert.equal(parseIp('256.1.1.1'), null);
  assert.equal(intToIp(parseIp('10.213.0.255')!), '10.213.0.255');
  assert.equal(parseCidr('10.213.0.1/24'), null, 'host bits set');
  assert.equal(parseCidr('10.213.0.0/24')?.broadcast, parseIp('10.213.0.255'));
});

const badRequests: Array<[string, (p: ReturnType<typeof samplePacket>) => void]> = [
  ['BOOTREPLY op', (p) => { p.op = 2; }],
  ['no option 53 (BOOTP)', (p) => { p.options.delete(Opt.MESSAGE_TYPE); }],
  ['server-only message type', (p) => { p.options.set(Opt.MESSAGE_TYPE, Buffer.from([2])); }],
  ['message type of two octets', (p) => { p.options.set(Opt.MESSAGE_TYPE, Buffer.from([1, 1])); }],
  ['requested IP of 3 octets', (p) => { p.options.set(Opt.REQUESTED_IP, Buffer.from([1, 2, 3])); }],
  ['client id of 1 octet', (p) => { p.options.set(Opt.CLIENT_ID, Buffer.from([1])); }],
  ['odd arch list', (p) => { p.options.set(Opt.CLIENT_ARCH, Buffer.from([0, 0, 7])); }],
];
for (const [name, mutate] of badRequests) {
  test(`readRequest rejects: ${name}`, () => {
    const p = samplePacket();
    mutate(p);
    assert.throws(() => readRequest(decodePacket(encodePacket(p).bytes)));
  });
}

test('readRequest: client key prefers option 61 (RFC 2131 §4.2)', () => {
  const p = samplePacket();
  assert.equal(readRequest(p).clientKey, 'hw:1:52:54:00:01:02:03');
  p.options.set(Opt.CLIENT_ID, Buffer.from([1, 0x52, 0x54, 0, 1, 2, 3]));
  assert.equal(readRequest(p).clientKey, 'id:01525400010203');
  p.options.set(Opt.PARAM_REQUEST_LIST, Buffer.from([6, 3, 6, 1]));
  assert.deepEqual(readRequest(p).parameterRequestList, [6, 3, 1]);
});

const ipTexts: Array<[string, number | null]> = [
  ['0.0.0.0', 0], ['255.255.255.255', 0xffffffff], ['10.213.0.1', 0x0ad50001], ['01.2.3.4', 0x01020304],
  ['1.2.3', null], ['1.2.3.4.5', null], ['1..2.3', null], ['256.1.1.1', null], ['1.2.3.4 ', null],
  ['', null], ['1.2.3.', null], ['.1.2.3', null], ['1234.1.1.1', null], ['a.b.c.d', null],
];
test('parseIp accepts dotted quads only', () => {
  for (const [text, value] of ipTexts) assert.equal(parseIp(text), value, JSON.stringify(text));
});
