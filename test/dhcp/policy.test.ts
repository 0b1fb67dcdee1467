/**
 * Server policy over real loopback UDP: reservations, pool exhaustion, silence for what is not
 * ours, malformed packets, per-client rate limit, runtime reconfiguration, expiry, and where
 * replies are sent (directed broadcast vs unicast).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Opt } from '../../src/edges/rack/dhcp/codes.ts';
import { encodePacket } from '../../src/edges/rack/dhcp/packet.ts';
import { compileConfig, DhcpConfigError, type DhcpConfig } from '../../src/edges/rack/dhcp/config.ts';
import { MemoryLeaseStore } from '../../src/edges/rack/dhcp/lease-store.ts';
import { craft, startHarness, ipBytes, messageType, Peer, T, type RequestSpec } from './helpers/peer.ts';
import { testConfig, relayedSubnet, attachedSubnet, freshMac, RELAY_IP, SERVER_IP, ATTACHED_SERVER_IP } from './helpers/fixtures.ts';

const relayed = (spec: Omit<RequestSpec, 'giaddr'>): RequestSpec => ({ giaddr: RELAY_IP, ...spec });
const selecting = (mac: string, ip: string, server = SERVER_IP): RequestSpec =>
  relayed({ type: T.REQUEST, mac, options: [[Opt.SERVER_ID, ipBytes(server)], [Opt.REQUESTED_IP, ipBytes(ip)]] });

test('reservations: the MAC gets its address and name; nobody else can have it', async (t) => {
  const h = await startHarness({ config: testConfig() });
  t.after(() => h.close());
  const mine = await h.exchange(relayed({ type: T.DISCOVER, mac: '52:54:00:AA:00:01'.toLowerCase() }));
  assert.equal(mine.packet.yiaddr, '127.42.0.10', 'reserved address, outside the pool');
  assert.equal(mine.packet.options.get(Opt.HOSTNAME)?.toString(), 'reserved-node');
  const ack = await h.exchange(selecting('52:54:00:aa:00:01', '127.42.0.10'));
  assert.equal(messageType(ack), T.ACK);
  const thief = freshMac();
  const offer = await h.exchange(relayed({ type: T.DISCOVER, mac: thief, options: [[Opt.REQUESTED_IP, ipBytes('127.42.0.10')]] }));
  assert.notEqual(offer.packet.yiaddr, '127.42.0.10');
  assert.equal(messageType(await h.exchange(selecting(thief, '127.42.0.10'))), T.NAK);
  // INIT-REBOOT of the reserved client for a different address: told to start over.
  const reboot = await h.exchange(relayed({ type: T.REQUEST, mac: '52:54:00:aa:00:01', options: [[Opt.REQUESTED_IP, ipBytes('127.42.0.150')]] }));
  assert.equal(messageType(reboot), T.NAK);
});

test('reservations belong to the NIC: each boot stage gets the address whatever client identifier it sends', async (t) => {
  // One NIC, three identities in one boot: the PXE ROM (no option 61), the initramfs's udhcpc
  // (61 = 01 + MAC), systemd-networkd (61 = a DUID). Each holds the reserved address in turn.
  const h = await startHarness({ config: testConfig() });
  t.after(() => h.close());
  const mac = '52:54:00:aa:00:01';
  const stages: Array<[string, RequestSpec['options']]> = [
    ['PXE ROM', []],
    ['udhcpc', [[Opt.CLIENT_ID, [1, 0x52, 0x54, 0, 0xaa, 0, 1]]]],
    ['networkd (DUID)', [[Opt.CLIENT_ID, [0xff, 0x5a, 0x1c, 0x0e, 0x33, 0, 2, 0, 0, 0xab, 0x11, 0x9c, 0x4d, 0x2e, 0x71, 0xf0, 0x3a, 0x12, 0x6b]]]],
  ];
  for (const [stage, options] of stages) {
    const offer = await h.exchange(relayed({ type: T.DISCOVER, mac, options }));
    assert.equal(offer.packet.yiaddr, '127.42.0.10', `${stage}: OFFER of the reserved address`);
    const ack = await h.exchange(relayed({ type: T.REQUEST, mac, options: [...(options ?? []), [Opt.SERVER_ID, ipBytes(SERVER_IP)], [Opt.REQUESTED_IP, ipBytes('127.42.0.10')]] }));
    assert.equal(messageType(ack), T.ACK, `${stage}: ACK`);
    assert.equal(ack.packet.yiaddr, '127.42.0.10');
  }
  // Another NIC still cannot have it, whatever identifier it claims.
  const thief = await h.exchange(selecting(freshMac(), '127.42.0.10'));
  assert.equal(messageType(thief), T.NAK);
});

test('pool exhaustion: no OFFER once every address is held', async (t) => {
  const config = testConfig({ subnets: [relayedSubnet({ pools: [{ start: '127.42.0.100', end: '127.42.0.101' }], reservations: [] })] });
  const h = await startHarness({ config });
  t.after(() => h.close());
  const got = [];
  for (let i = 0; i < 2; i += 1) got.push((await h.exchange(relayed({ type: T.DISCOVER, mac: freshMac() }))).packet.yiaddr);
  assert.deepEqual(got, ['127.42.0.100', '127.42.0.101']);
  assert.ok(await h.silent(relayed({ type: T.DISCOVER, mac: freshMac() })));
  assert.equal(messageType(await h.exchange(relayed({ type: T.REQUEST, mac: freshMac(), options: [[Opt.SERVER_ID, ipBytes(SERVER_IP)], [Opt.REQUESTED_IP, ipBytes('127.42.0.100')]] }))), T.NAK);
});

const notOurs: Array<[string, RequestSpec]> = [
  ['DISCOVER relayed from an unknown subnet', { type: T.DISCOVER, mac: freshMac(), giaddr: '127.99.0.1' }],
  ['REQUEST relayed from an unknown subnet', { type: T.REQUEST, mac: freshMac(), giaddr: '127.99.0.1', options: [[Opt.REQUESTED_IP, ipBytes('127.99.0.7')]] }],
  ['RENEWING from an address we do not serve', { type: T.REQUEST, mac: freshMac(), ciaddr: '127.99.0.7' }],
  ['INFORM from an address we do not serve', { type: T.INFORM, mac: freshMac(), ciaddr: '127.99.0.7' }],
  ['REQUEST for another server', selecting(freshMac(), '127.42.0.100', '127.42.0.99')],
  ['REQUEST with nothing to go on', relayed({ type: T.REQUEST, mac: freshMac() })],
];
test('silence for what is not ours', async (t) => {
  const h = await startHarness({ config: testConfig() });
  t.after(() => h.close());
  for (const [name, spec] of notOurs) assert.ok(await h.silent(spec, 60), name);
});

test('no attached subnet: broadcast clients without a relay get silence', async (t) => {
  const h = await startHarness({ config: testConfig({ subnets: [relayedSubnet()] }) });
  t.after(() => h.close());
  assert.ok(await h.silent({ type: T.DISCOVER, mac: freshMac() }));
  assert.ok(await h.silent({ type: T.REQUEST, mac: freshMac(), options: [[Opt.REQUESTED_IP, ipBytes('127.42.0.100')]] }));
});

test('malformed and non-client packets are dropped silently', async (t) => {
  const h = await startHarness({ config: testConfig() });
  t.after(() => h.close());
  const valid = encodePacket(craft(relayed({ type: T.DISCOVER, mac: freshMac() }))).bytes;
  const garbage: Array<[string, Buffer]> = [
    ['empty', Buffer.alloc(0)],
    ['random', Buffer.from(Array.from({ length: 400 }, (_, i) => (i * 37 + 11) & 255))],
    ['truncated header', valid.subarray(0, 100)],
    ['no cookie', Buffer.concat([valid.subarray(0, 236), Buffer.alloc(64)])],
    ['BOOTREPLY', (() => { const b = Buffer.from(valid); b[0] = 2; return b; })()],
    ['option overrun', (() => { const b = Buffer.from(valid.subarray(0, 246)); b.set([53, 1, 1, 12, 90], 240); return b; })()],
    ['BOOTP (no 53)', encodePacket((() => { const p = craft(relayed({ type: T.DISCOVER, mac: freshMac() })); p.options.delete(Opt.MESSAGE_TYPE); return p; })()).bytes],
    ['OFFER sent by a "client"', encodePacket(craft(relayed({ type: T.OFFER, mac: freshMac() }))).bytes],
  ];
  const before = h.server.stats.malformed;
  for (const [, bytes] of garbage) await h.peer.send(bytes, h.serverPort);
  assert.ok(await h.peer.silentFor(150));
  assert.equal(h.server.stats.malformed - before, garbage.length);
  assert.equal(messageType(await h.exchange(relayed({ type: T.DISCOVER, mac: freshMac() }))), T.OFFER, 'still serving');
});

test('per-MAC rate limit: a flooding client is cut off, others are not', async (t) => {
  const h = await startHarness({ config: testConfig({ rateLimit: { burst: 5, perSecond: 1 } }) });
  t.after(() => h.close());
  const flooder = freshMac();
  for (let i = 0; i < 40; i += 1) await h.peer.sendPacket(craft(relayed({ type: T.DISCOVER, mac: flooder })), h.serverPort);
  await h.peer.silentFor(150);
  const replies = h.peer.drain().length;
  assert.ok(replies >= 5 && replies <= 6, `${replies} replies to 40 DISCOVERs`);
  assert.ok(h.server.stats.rateLimited >= 34);
  assert.equal(messageType(await h.exchange(relayed({ type: T.DISCOVER, mac: freshMac() }))), T.OFFER);
});

test('updateConfig: leases survive, new settings apply, bad configs are refused', async (t) => {
  const store = new MemoryLeaseStore();
  const h = await startHarness({ config: testConfig(), store });
  t.after(() => h.close());
  const mac = freshMac();
  const offer = await h.exchange(relayed({ type: T.DISCOVER, mac }));
  await h.exchange(selecting(mac, offer.packet.yiaddr));
  h.server.updateConfig(testConfig({ subnets: [relayedSubnet({ dnsServers: ['127.42.0.77'] }), attachedSubnet()] }));
  const renew = await h.exchange(relayed({ type: T.REQUEST, mac, ciaddr: offer.packet.yiaddr }));
  assert.equal(messageType(renew), T.ACK);
  assert.equal(renew.packet.yiaddr, offer.packet.yiaddr);
  assert.deepEqual(renew.packet.options.get(Opt.DNS_SERVERS), ipBytes('127.42.0.77'));
  assert.throws(() => h.server.updateConfig({ subnets: [relayedSubnet({ cidr: '127.42.0.0/33' })] }), DhcpConfigError);
  assert.equal(messageType(await h.exchange(relayed({ type: T.REQUEST, mac, ciaddr: offer.packet.yiaddr }))), T.ACK, 'old config still in force');
});

test('expiry: an unrenewed lease ends with an event and its address returns to the pool', async (t) => {
  let now = Date.parse('2030-01-01T00:00:00Z');
  const h = await startHarness({ config: testConfig(), clock: () => now, sweepIntervalMs: 0 });
  t.after(() => h.close());
  const mac = freshMac();
  const offer = await h.exchange(relayed({ type: T.DISCOVER, mac }));
  await h.exchange(selecting(mac, offer.packet.yiaddr));
  now += 599_000;
  await h.server.sweep();
  assert.ok(!h.events.some((e) => e.type === 'expiry'));
  now += 2_000;
  await h.server.sweep();
  const expiry = h.events.find((e) => e.type === 'expiry');
  assert.equal(expiry?.ip, offer.packet.yiaddr);
  assert.equal(expiry?.mac, mac);
  const other = await h.exchange(relayed({ type: T.DISCOVER, mac: freshMac() }));
  assert.equal(other.packet.yiaddr, offer.packet.yiaddr, 'lowest free address again');
});

test('reply routing: directed broadcast before an address, unicast to ciaddr after', async (t) => {
  // Peers bound to exactly the broadcast address and to the client's address see only what is
  // sent to those destinations.
  const bcast = await Peer.open('127.43.0.255');
  const h = await startHarness({ config: testConfig() }, { clientPort: bcast.port });
  const unicast = await Peer.open('127.43.0.50', bcast.port);
  t.after(async () => { await h.close(); await bcast.close(); await unicast.close(); });
  const mac = freshMac();
  const discover = craft({ type: T.DISCOVER, mac });
  await h.peer.sendPacket(discover, h.serverPort);
  const offer = await bcast.reply(discover.xid);
  assert.equal(offer.packet.yiaddr, '127.43.0.50');
  const req = craft({ type: T.REQUEST, mac, options: [[Opt.SERVER_ID, ipBytes(ATTACHED_SERVER_IP)], [Opt.REQUESTED_IP, ipBytes('127.43.0.50')]] });
  await h.peer.sendPacket(req, h.serverPort);
  assert.equal(messageType(await bcast.reply(req.xid)), T.ACK);
  const renew = craft({ type: T.REQUEST, mac, ciaddr: '127.43.0.50' });
  await h.peer.sendPacket(renew, h.serverPort);
  assert.equal(messageType(await unicast.reply(renew.xid)), T.ACK);
  assert.ok(await bcast.silentFor(50, renew.xid), 'the renewal ACK is not broadcast');
});

const badConfigs: Array<[string, DhcpConfig, RegExp]> = [
  ['bad cidr', { subnets: [relayedSubnet({ cidr: '127.42.0.1/24' })] }, /cidr/],
  ['pool outside subnet', { subnets: [relayedSubnet({ pools: [{ start: '127.42.1.1', end: '127.42.1.9' }] })] }, /outside the subnet/],
  ['reversed pool', { subnets: [relayedSubnet({ pools: [{ start: '127.42.0.9', end: '127.42.0.1' }] })] }, /reversed/],
  ['bad reservation MAC', { subnets: [relayedSubnet({ reservations: [{ mac: 'nope', ip: '127.42.0.3' }] })] }, /MAC/],
  ['duplicate reserved address', { subnets: [relayedSubnet({ reservations: [{ mac: '52:54:00:00:00:01', ip: '127.42.0.3' }, { mac: '52:54:00:00:00:02', ip: '127.42.0.3' }] })] }, /reserved twice/],
  ['overlapping subnets', { subnets: [relayedSubnet(), relayedSubnet({ cidr: '127.42.0.0/25' })] }, /overlap/],
  ['bad search domain', { subnets: [relayedSubnet({ searchDomains: ['bad domain'] })] }, /search domain/],
  ['bad MTU', { subnets: [relayedSubnet({ mtu: 20 })] }, /mtu/],
  ['non-URL iPXE script', { subnets: [relayedSubnet({ boot: { ipxeScriptUrl: 'ipxe.cfg' } })] }, /ipxeScriptUrl/],
  ['bad role', { role: 'tertiary' as 'primary', subnets: [] }, /role/],
];
for (const [name, config, message] of badConfigs) {
  test(`config validation: ${name}`, () => {
    assert.throws(() => compileConfig(config), (err: Error) => err instanceof DhcpConfigError && message.test(err.message));
  });
}
