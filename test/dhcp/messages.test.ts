/**
 * Every DHCP message type over real loopback UDP (RFC 2131 §4.3): DISCOVER, REQUEST in its four
 * states, DECLINE, RELEASE, INFORM — through a relay (giaddr + option 82) and directly on an
 * attached subnet (directed broadcast / unicast to ciaddr).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Opt } from '../../src/edges/rack/dhcp/codes.ts';
import { FLAG_BROADCAST } from '../../src/edges/rack/dhcp/packet.ts';
import { encodeRelayAgentInfo } from '../../src/edges/rack/dhcp/options-relay.ts';
import { startHarness, ipBytes, messageType, T, type Harness, type RequestSpec } from './helpers/peer.ts';
import { testConfig, freshMac, RELAY_IP, SERVER_IP, ATTACHED_SERVER_IP } from './helpers/fixtures.ts';

let h: Harness;
before(async () => { h = await startHarness({ config: testConfig({ declineHoldSeconds: 0.3 }) }); });
after(async () => { await h.close(); });

const relayed = (spec: Omit<RequestSpec, 'giaddr'>): RequestSpec => ({ giaddr: RELAY_IP, ...spec });

/** DISCOVER → OFFER → REQUEST → ACK through the relay; returns the leased address. */
async function lease(mac: string, extra: RequestSpec['options'] = []): Promise<string> {
  const offer = await h.exchange(relayed({ type: T.DISCOVER, mac, options: extra }));
  assert.equal(messageType(offer), T.OFFER);
  const ack = await h.exchange(relayed({ type: T.REQUEST, mac, options: [[Opt.SERVER_ID, ipBytes(SERVER_IP)], [Opt.REQUESTED_IP, ipBytes(offer.packet.yiaddr)], ...extra] }));
  assert.equal(messageType(ack), T.ACK);
  return ack.packet.yiaddr;
}

test('DISCOVER via relay → OFFER to giaddr with the relay agent option echoed last', async () => {
  const mac = freshMac();
  const info = encodeRelayAgentInfo([[1, Buffer.from('swp7')], [2, Buffer.from('tor-3')]]);
  const r = await h.exchange(relayed({ type: T.DISCOVER, mac, options: [[Opt.RELAY_AGENT_INFO, info]] }));
  assert.equal(messageType(r), T.OFFER);
  assert.equal(r.from, '127.0.0.1');
  assert.equal(r.packet.giaddr, RELAY_IP);
  assert.equal(r.packet.op, 2);
  assert.match(r.packet.yiaddr, /^127\.42\.0\.1\d\d$/);
  assert.deepEqual(r.packet.options.get(Opt.RELAY_AGENT_INFO), info);
  assert.equal([...r.packet.options.keys()].at(-1), Opt.RELAY_AGENT_INFO);
  assert.deepEqual(r.packet.options.get(Opt.SERVER_ID), ipBytes(SERVER_IP));
});

test('SELECTING REQUEST → ACK, commit event with relay ids', async () => {
  const mac = freshMac();
  const info = encodeRelayAgentInfo([[1, Buffer.from('swp9')]]);
  const ip = await lease(mac, [[Opt.RELAY_AGENT_INFO, info], [Opt.HOSTNAME, 'node-a']]);
  const ev = h.events.find((e) => e.mac === mac);
  assert.ok(ev);
  assert.equal(ev.type, 'commit');
  assert.equal(ev.ip, ip);
  assert.equal(ev.hostname, 'node-a');
  assert.equal(ev.leaseTime, 600);
  assert.deepEqual(ev.relay, { giaddr: RELAY_IP, circuitId: Buffer.from('swp9').toString('hex') });
});

test('an OFFER holds its address: two clients never get the same one', async () => {
  const a = await h.exchange(relayed({ type: T.DISCOVER, mac: freshMac() }));
  const b = await h.exchange(relayed({ type: T.DISCOVER, mac: freshMac() }));
  assert.notEqual(a.packet.yiaddr, b.packet.yiaddr);
});

test('REQUEST naming another server: silence, and our offer is withdrawn', async () => {
  const mac = freshMac();
  const offer = await h.exchange(relayed({ type: T.DISCOVER, mac }));
  assert.ok(await h.silent(relayed({ type: T.REQUEST, mac, options: [[Opt.SERVER_ID, ipBytes('127.42.0.250')], [Opt.REQUESTED_IP, ipBytes(offer.packet.yiaddr)]] })));
  const next = await h.exchange(relayed({ type: T.DISCOVER, mac: freshMac() }));
  assert.equal(next.packet.yiaddr, offer.packet.yiaddr, 'withdrawn address is the lowest free again');
});

test('SELECTING REQUEST for an address another client holds → NAK, broadcast bit set for the relay', async () => {
  const owner = freshMac();
  const ip = await lease(owner);
  const r = await h.exchange(relayed({ type: T.REQUEST, mac: freshMac(), options: [[Opt.SERVER_ID, ipBytes(SERVER_IP)], [Opt.REQUESTED_IP, ipBytes(ip)]] }));
  assert.equal(messageType(r), T.NAK);
  assert.equal(r.packet.yiaddr, '0.0.0.0');
  assert.equal(r.packet.flags & FLAG_BROADCAST, FLAG_BROADCAST);
  assert.equal(r.packet.options.has(Opt.LEASE_TIME), false);
});

test('INIT-REBOOT: known client ACK (renew), wrong network NAK, stranger silence, taken NAK', async () => {
  const mac = freshMac();
  const ip = await lease(mac);
  const ack = await h.exchange(relayed({ type: T.REQUEST, mac, options: [[Opt.REQUESTED_IP, ipBytes(ip)]] }));
  assert.equal(messageType(ack), T.ACK);
  assert.equal(ack.packet.yiaddr, ip);
  assert.equal(h.events.filter((e) => e.mac === mac).map((e) => e.type).join(','), 'commit,renew');
  const wrong = await h.exchange(relayed({ type: T.REQUEST, mac, options: [[Opt.REQUESTED_IP, ipBytes('10.1.2.3')]] }));
  assert.equal(messageType(wrong), T.NAK);
  assert.ok(await h.silent(relayed({ type: T.REQUEST, mac: freshMac(), options: [[Opt.REQUESTED_IP, ipBytes('127.42.0.108')]] })));
  const taken = await h.exchange(relayed({ type: T.REQUEST, mac: freshMac(), options: [[Opt.REQUESTED_IP, ipBytes(ip)]] }));
  assert.equal(messageType(taken), T.NAK);
});

test('attached subnet: DISCOVER answered by directed broadcast, RENEWING by unicast to ciaddr', async () => {
  const mac = freshMac();
  const offer = await h.exchange({ type: T.DISCOVER, mac, flags: FLAG_BROADCAST, options: [[Opt.PARAM_REQUEST_LIST, [1, 28, 3]]] });
  assert.equal(messageType(offer), T.OFFER);
  assert.match(offer.packet.yiaddr, /^127\.43\.0\.5\d$/);
  assert.deepEqual(offer.packet.options.get(Opt.SERVER_ID), ipBytes(ATTACHED_SERVER_IP));
  assert.deepEqual(offer.packet.options.get(Opt.BROADCAST), ipBytes('127.43.0.255'));
  const ack = await h.exchange({ type: T.REQUEST, mac, options: [[Opt.SERVER_ID, ipBytes(ATTACHED_SERVER_IP)], [Opt.REQUESTED_IP, ipBytes(offer.packet.yiaddr)]] });
  assert.equal(messageType(ack), T.ACK);
  const renew = await h.exchange({ type: T.REQUEST, mac, ciaddr: offer.packet.yiaddr });
  assert.equal(messageType(renew), T.ACK);
  assert.equal(renew.packet.ciaddr, offer.packet.yiaddr);
  assert.equal(renew.packet.yiaddr, offer.packet.yiaddr);
  assert.equal(h.events.filter((e) => e.mac === mac).map((e) => e.type).join(','), 'commit,renew');
  // A RENEWING/REBINDING client we have no record of gets silence.
  assert.ok(await h.silent({ type: T.REQUEST, mac: freshMac(), ciaddr: '127.43.0.58' }));
});

test('DECLINE quarantines the address for declineHoldSeconds', async () => {
  const mac = freshMac();
  const ip = await lease(mac);
  assert.ok(await h.silent(relayed({ type: T.DECLINE, mac, options: [[Opt.SERVER_ID, ipBytes(SERVER_IP)], [Opt.REQUESTED_IP, ipBytes(ip)]] }), 100));
  const ev = h.events.find((e) => e.mac === mac && e.type === 'decline');
  assert.equal(ev?.ip, ip);
  const again = await h.exchange(relayed({ type: T.DISCOVER, mac }));
  assert.notEqual(again.packet.yiaddr, ip, 'the decliner is not offered it again');
  await new Promise((r) => setTimeout(r, 350));
  await h.server.sweep();
  const other = await h.exchange(relayed({ type: T.DISCOVER, mac: freshMac(), options: [[Opt.REQUESTED_IP, ipBytes(ip)]] }));
  assert.equal(other.packet.yiaddr, ip, 'usable again after the quarantine');
});

test('DECLINE from a client that does not hold the address is ignored', async () => {
  const ip = await lease(freshMac());
  const before = h.events.length;
  assert.ok(await h.silent(relayed({ type: T.DECLINE, mac: freshMac(), options: [[Opt.REQUESTED_IP, ipBytes(ip)]] }), 100));
  assert.equal(h.events.length, before);
});

test('RELEASE frees the address (event), a later DISCOVER may get it', async () => {
  const mac = freshMac();
  const ip = await lease(mac);
  assert.ok(await h.silent(relayed({ type: T.RELEASE, mac, ciaddr: ip, options: [[Opt.SERVER_ID, ipBytes(SERVER_IP)]] }), 100));
  assert.ok(h.events.some((e) => e.mac === mac && e.type === 'release' && e.ip === ip));
  const back = await h.exchange(relayed({ type: T.DISCOVER, mac }));
  assert.equal(back.packet.yiaddr, ip, 'the client gets its previous address back');
  // RELEASE naming another server, or from another client, changes nothing.
  const ip2 = await lease(mac);
  const n = h.events.length;
  assert.ok(await h.silent(relayed({ type: T.RELEASE, mac, ciaddr: ip2, options: [[Opt.SERVER_ID, ipBytes('127.42.0.250')]] }), 80));
  assert.ok(await h.silent(relayed({ type: T.RELEASE, mac: freshMac(), ciaddr: ip2 }), 80));
  assert.equal(h.events.length, n);
});

test('INFORM → ACK with configuration, no address and no lease time, unicast to ciaddr', async () => {
  const r = await h.exchange({ type: T.INFORM, mac: freshMac(), ciaddr: '127.43.0.200', options: [[Opt.PARAM_REQUEST_LIST, [6, 15, 3]]] });
  assert.equal(messageType(r), T.ACK);
  assert.equal(r.packet.yiaddr, '0.0.0.0');
  assert.equal(r.packet.ciaddr, '127.43.0.200');
  assert.equal(r.packet.options.has(Opt.LEASE_TIME), false);
  assert.deepEqual(r.packet.options.get(Opt.DNS_SERVERS), ipBytes(ATTACHED_SERVER_IP));
});

test('lease time: a shorter requested lease is granted, a longer one is capped', async () => {
  const short = await h.exchange(relayed({ type: T.DISCOVER, mac: freshMac(), options: [[Opt.LEASE_TIME, [0, 0, 0, 60]]] }));
  assert.deepEqual(short.packet.options.get(Opt.LEASE_TIME), Buffer.from([0, 0, 0, 60]));
  assert.deepEqual(short.packet.options.get(Opt.RENEWAL_TIME), Buffer.from([0, 0, 0, 30]));
  assert.deepEqual(short.packet.options.get(Opt.REBINDING_TIME), Buffer.from([0, 0, 0, 52]));
  const long = await h.exchange(relayed({ type: T.DISCOVER, mac: freshMac(), options: [[Opt.LEASE_TIME, [0, 1, 0, 0]]] }));
  assert.equal(long.packet.options.get(Opt.LEASE_TIME)?.readUInt32BE(0), 600);
});
