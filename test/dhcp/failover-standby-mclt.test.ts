/**
 * A lease that moves between the failover partners while the region cannot tell the other one, over
 * real loopback UDP with both servers running (separate lease stores, one injected clock).
 *
 * Layout as in failover-standby.test.ts: one relayed subnet, pools 127.42.0.100-199, lease time
 * 600 s; the primary (127.0.0.1) allocates .100-.149, the standby secondary (127.0.0.2) .150-.199.
 * The region is down throughout: nothing one server grants or renews reaches the other.
 *
 * The hazard (found in review): client A holds X in one server's half; its lease ends up living at
 * the OTHER server (which knew it, learned through the region earlier), renewed there by unicast;
 * X runs out in the first server's store and that server gives X to another client B. A and B share X.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { splitPools } from '../../src/domain/network/dhcp-failover.ts';
import { Opt } from '../../src/edges/rack/dhcp/codes.ts';
import { MemoryLeaseStore } from '../../src/edges/rack/dhcp/lease-store.ts';
import { startHarness, ipBytes, messageType, T, type Harness, type RequestSpec } from './helpers/peer.ts';
import { testConfig, relayedSubnet, freshMac, RELAY_IP, SERVER_IP, RELAYED } from './helpers/fixtures.ts';

const PRIMARY_IP = SERVER_IP;
const SECONDARY_IP = '127.0.0.2';
const POOL = [{ start: '127.42.0.100', end: '127.42.0.199' }];
const T0 = Date.parse('2030-01-01T00:00:00Z');
const LEASE = 600;
/** The default MCLT (config.ts DEFAULT_MCLT_SECS). */
const MCLT = 3600;

interface Pair {
  p: Harness;
  s: Harness;
  ps: MemoryLeaseStore;
  ss: MemoryLeaseStore;
  at(seconds: number): void;
}

async function startPair(t: { after(fn: () => Promise<void>): void }): Promise<Pair> {
  let now = T0;
  const clock = () => now;
  const ps = new MemoryLeaseStore();
  const ss = new MemoryLeaseStore();
  const base = { pools: POOL, reservations: [], leaseTime: LEASE };
  const p = await startHarness({
    config: testConfig({ subnets: [relayedSubnet({ ...base, allocate: splitPools(POOL, 'primary') })] }), store: ps, clock, sweepIntervalMs: 0,
  });
  const s = await startHarness({
    config: testConfig({ subnets: [relayedSubnet({ ...base, serverAddress: SECONDARY_IP, allocate: splitPools(POOL, 'secondary'), standby: true })] }),
    store: ss, clock, sweepIntervalMs: 0,
  });
  t.after(async () => { await p.close(); await s.close(); });
  return { p, s, ps, ss, at: (sec) => { now = T0 + sec * 1000; } };
}

/** A live lease of `mac` at ip until T0 + LEASE: granted by this server (own) or pushed by the region (learned). */
async function holds(store: MemoryLeaseStore, mac: string, ip: string, learned: boolean): Promise<void> {
  await store.put({ ip, subnet: RELAYED, clientKey: `hw:1:${mac}`, mac, state: 'bound', expiresAt: T0 + LEASE * 1000, updatedAt: T0, learned });
}

const relayed = (spec: Omit<RequestSpec, 'giaddr'>): RequestSpec => ({ giaddr: RELAY_IP, ...spec });
const discover = (mac: string, secs = 0) => relayed({ type: T.DISCOVER, mac, secs });
const selecting = (mac: string, server: string, ip: string) =>
  relayed({ type: T.REQUEST, mac, options: [[Opt.SERVER_ID, ipBytes(server)], [Opt.REQUESTED_IP, ipBytes(ip)]] });
const initReboot = (mac: string, ip: string, secs = 0) => relayed({ type: T.REQUEST, mac, secs, options: [[Opt.REQUESTED_IP, ipBytes(ip)]] });
/** RENEWING (RFC 2131 §4.4.5): unicast to the server that granted the lease, ciaddr set, no relay. */
const renewing = (mac: string, ip: string): RequestSpec => ({ type: T.REQUEST, mac, ciaddr: ip });

/** Sends to one server; the reply's (type, address), or null for silence. */
async function ask(h: Harness, spec: RequestSpec): Promise<[number | undefined, string] | null> {
  if (await h.silent(spec, 150)) return null;
  const r = h.peer.drain().at(-1)!;
  return [messageType(r), r.packet.yiaddr];
}

/** A takeover client B at the standby: DISCOVER with secs 8 (the primary is not answering it), then REQUEST. */
async function takeoverClient(pair: Pair, mac: string): Promise<string> {
  const offer = await pair.s.exchange(discover(mac, 8));
  assert.equal(messageType(offer), T.OFFER);
  const ack = await pair.s.exchange(selecting(mac, SECONDARY_IP, offer.packet.yiaddr));
  assert.equal(messageType(ack), T.ACK);
  return ack.packet.yiaddr;
}

const X = '127.42.0.150';

test("INIT-REBOOT of a lease the standby granted: only the standby ACKs; the primary, which only learned it, stays quiet", async (t) => {
  const pair = await startPair(t);
  const a = freshMac();
  await holds(pair.ss, a, X, false);
  await holds(pair.ps, a, X, true);
  pair.at(100);
  // The reboot broadcast reaches both (through the relay). Two ACKs would let A pick either server.
  const [fromP, fromS] = await Promise.all([ask(pair.p, initReboot(a, X)), ask(pair.s, initReboot(a, X))]);
  assert.deepEqual(fromS, [T.ACK, X], 'the standby ACKs its own lease at once');
  assert.equal(fromP, null, 'the primary leaves a lease it only learned to the server that granted it');
  // So A renews with the standby (unicast), whose record stays live: B never gets X.
  for (const at of [400, 700]) {
    pair.at(at);
    assert.deepEqual(await ask(pair.s, renewing(a, X)), [T.ACK, X], `renewal at t=${at}`);
  }
  pair.at(750);
  await pair.s.server.sweep();
  assert.notEqual(await takeoverClient(pair, freshMac()), X, "B does not get A's address");
});

test('INIT-REBOOT of a learned lease at the primary: ACKed once the client has waited (secs >= takeoverSecs)', async (t) => {
  const pair = await startPair(t);
  const a = freshMac();
  await holds(pair.ps, a, X, true);
  pair.at(100);
  assert.equal(await ask(pair.p, initReboot(a, X, 0)), null);
  assert.deepEqual(await ask(pair.p, initReboot(a, X, 8)), [T.ACK, X], 'the standby evidently is not answering: same address');
  // A lease of the primary's own half, or one it granted itself, is ACKed at once as before.
  const c = freshMac();
  await holds(pair.ps, c, '127.42.0.120', false);
  assert.deepEqual(await ask(pair.p, initReboot(c, '127.42.0.120')), [T.ACK, '127.42.0.120']);
});

/** Ways A's lease (X, granted by the standby) ends up at the primary, which learned it before the region went down. */
const moves: Array<[string, (pair: Pair, a: string) => Promise<void>]> = [
  ['A PXE-boots: DISCOVER (secs 0) is the primary\'s, which offers the address it knows A holds', async (pair, a) => {
    assert.equal(await ask(pair.s, discover(a)), null, 'standby: the primary may still answer');
    const offer = await pair.p.exchange(discover(a));
    assert.equal(offer.packet.yiaddr, X);
    assert.equal(messageType(await pair.p.exchange(selecting(a, PRIMARY_IP, X))), T.ACK);
  }],
  ["A reboots and its first requests are lost: at secs 8 both ACK (same address) and A takes the primary's (the review's case)", async (pair, a) => {
    const [fromP, fromS] = await Promise.all([ask(pair.p, initReboot(a, X, 8)), ask(pair.s, initReboot(a, X, 8))]);
    assert.deepEqual([fromP, fromS], [[T.ACK, X], [T.ACK, X]]);
  }],
];

for (const [how, move] of moves) test(`the lease moved to the primary (${how}): the standby does not give X to another client within one MCLT`, async (t) => {
  const pair = await startPair(t);
  const a = freshMac();
  await holds(pair.ss, a, X, false);
  await holds(pair.ps, a, X, true);
  pair.at(100);
  await move(pair, a);
  // A renews with the primary only; the region is down, so the standby never hears of it.
  for (const at of [400, 700]) {
    pair.at(at);
    assert.deepEqual(await ask(pair.p, renewing(a, X)), [T.ACK, X], `renewal at the primary, t=${at}`);
  }
  // X has run out in the standby's store (t=600) and been swept; B is a takeover client.
  pair.at(701);
  await pair.s.server.sweep();
  assert.equal(pair.ss.get(X)?.state, 'free');
  const b = freshMac();
  assert.notEqual(await takeoverClient(pair, b), X, 'A (renewed at the primary until t=1300) and B would share X');
  // A is switched off (its last lease ends at t=1300). One MCLT after X was freed here, X is usable again.
  pair.at(701 + MCLT - 1);
  assert.notEqual(await takeoverClient(pair, freshMac()), X, 'still within the MCLT');
  pair.at(701 + MCLT);
  assert.equal(await takeoverClient(pair, freshMac()), X, 'the hold ends one MCLT after');
});

test("mirror: the standby took over A's lease in the primary's half; the primary does not give it to a new client within one MCLT", async (t) => {
  const pair = await startPair(t);
  const a = freshMac();
  const Y = '127.42.0.100';
  await holds(pair.ps, a, Y, false);
  await holds(pair.ss, a, Y, true);
  // A reboots; the primary misses its requests (secs grows): the standby takes over with the same address.
  pair.at(100);
  assert.deepEqual(await ask(pair.s, initReboot(a, Y, 8)), [T.ACK, Y]);
  for (const at of [400, 700]) {
    pair.at(at);
    assert.deepEqual(await ask(pair.s, renewing(a, Y)), [T.ACK, Y], `renewal at the standby, t=${at}`);
  }
  pair.at(701);
  await pair.p.server.sweep();
  const offer = await pair.p.exchange(discover(freshMac()));
  assert.notEqual(offer.packet.yiaddr, Y, 'A holds Y from the standby until t=1300');
  assert.equal(offer.packet.yiaddr, '127.42.0.101');
  // The client's own address is still its own: A itself gets Y back from the primary at once.
  assert.equal((await pair.p.exchange(discover(a))).packet.yiaddr, Y);
});

test("an OFFER of the client's own ended lease keeps the hold when the client takes another server's offer", async (t) => {
  const pair = await startPair(t);
  const a = freshMac();
  await holds(pair.ss, a, X, false);
  pair.at(700);
  await pair.s.server.sweep();
  assert.deepEqual(await ask(pair.s, discover(a, 8)), [T.OFFER, X], 'its previous address');
  assert.equal(await ask(pair.s, selecting(a, PRIMARY_IP, X)), null, 'A took the primary\'s offer (of X: the primary knew A held it)');
  assert.notEqual(await takeoverClient(pair, freshMac()), X);
});

test('mcltSecs sets the hold; it must be positive', async (t) => {
  let now = T0;
  const store = new MemoryLeaseStore();
  const subnet = relayedSubnet({ pools: POOL, reservations: [], leaseTime: LEASE, allocate: splitPools(POOL, 'primary') });
  const h = await startHarness({ config: testConfig({ subnets: [subnet], mcltSecs: 60 }), store, clock: () => now, sweepIntervalMs: 0 });
  t.after(() => h.close());
  await holds(store, freshMac(), '127.42.0.100', false);
  now = T0 + (LEASE + 59) * 1000;
  assert.equal((await h.exchange(discover(freshMac()))).packet.yiaddr, '127.42.0.101');
  now = T0 + (LEASE + 60) * 1000;
  assert.equal((await h.exchange(discover(freshMac()))).packet.yiaddr, '127.42.0.100');
  assert.throws(() => h.server.updateConfig(testConfig({ subnets: [subnet], mcltSecs: 0 })), /mcltSecs must be a positive number/);
});

test('a non-failover subnet (no split) reuses an expired address at once, as before', async (t) => {
  let now = T0;
  const store = new MemoryLeaseStore();
  const h = await startHarness({ config: testConfig({ subnets: [relayedSubnet({ pools: POOL, reservations: [], leaseTime: LEASE })] }), store, clock: () => now, sweepIntervalMs: 0 });
  t.after(() => h.close());
  await holds(store, freshMac(), '127.42.0.100', false);
  now = T0 + (LEASE + 1) * 1000;
  await h.server.sweep();
  assert.equal((await h.exchange(discover(freshMac()))).packet.yiaddr, '127.42.0.100');
});

const LIMIT = 'the server renewing a lease of its peer\'s half would have to cap each extension at what the peer is known to '
  + 'know + MCLT (draft-ietf-dhc-failover-12), which needs the region to acknowledge what it passed on';
test('known limit: a client renewing at the other server for longer than one MCLT past the expiry known here', { todo: LIMIT }, async (t) => {
  const pair = await startPair(t);
  const a = freshMac();
  await holds(pair.ss, a, X, false);
  await holds(pair.ps, a, X, true);
  pair.at(100);
  await pair.p.exchange(discover(a));
  await pair.p.exchange(selecting(a, PRIMARY_IP, X));
  for (let at = 400; at <= 601 + MCLT; at += 300) {
    if (at === 700) { pair.at(601); await pair.s.server.sweep(); } // X runs out at the standby (t=600)
    pair.at(at);
    assert.deepEqual(await ask(pair.p, renewing(a, X)), [T.ACK, X], `renewal at the primary, t=${at}`);
  }
  pair.at(601 + MCLT);
  assert.notEqual(await takeoverClient(pair, freshMac()), X, 'A still holds X from the primary');
});
