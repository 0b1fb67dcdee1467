/**
 * Failover between two racks that do NOT share a lease store (each rack has its own, as in
 * production): the pool split (table), its translation from the region's service, loading the
 * peer's leases pushed by the region (merge table), and real loopback UDP exchanges — standby,
 * takeover with the same address for the primary's client, new clients from the secondary's half,
 * the primary back, and split brain (both answering) without one address given to two clients.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { splitPools, type DhcpKnownLease } from '../../src/domain/network/dhcp-failover.ts';
import type { DhcpRackService, DhcpVlanService } from '../../src/domain/network/dhcp-service.ts';
import { dhcpConfigFromService } from '../../src/edges/rack/dhcp-service-config.ts';
import { learnLeases } from '../../src/edges/rack/dhcp-lease-seed.ts';
import { Opt } from '../../src/edges/rack/dhcp/codes.ts';
import { MemoryLeaseStore, type Lease } from '../../src/edges/rack/dhcp/lease-store.ts';
import type { SubnetConfig } from '../../src/edges/rack/dhcp/config.ts';
import { craft, startHarness, ipBytes, messageType, T, type RequestSpec } from './helpers/peer.ts';
import { testConfig, relayedSubnet, freshMac, RELAY_IP, SERVER_IP, RELAYED } from './helpers/fixtures.ts';

const SECONDARY_IP = '127.0.0.2';
const relayed = (spec: Omit<RequestSpec, 'giaddr'>): RequestSpec => ({ giaddr: RELAY_IP, ...spec });
const num = (ip: string) => ip.split('.').reduce((n, o) => n * 256 + Number(o), 0);

describe('splitPools', () => {
  const cases: Array<[string, Array<[string, string]>, Array<[string, string]>, Array<[string, string]>]> = [
    ['even range', [['10.0.0.100', '10.0.0.199']], [['10.0.0.100', '10.0.0.149']], [['10.0.0.150', '10.0.0.199']]],
    ['odd range: the primary gets the extra address', [['10.0.0.1', '10.0.0.5']], [['10.0.0.1', '10.0.0.3']], [['10.0.0.4', '10.0.0.5']]],
    ['one address', [['10.0.0.9', '10.0.0.9']], [['10.0.0.9', '10.0.0.9']], []],
    ['boundary inside the second range, input unsorted', [['10.0.1.10', '10.0.1.19'], ['10.0.0.1', '10.0.0.4']], [['10.0.0.1', '10.0.0.4'], ['10.0.1.10', '10.0.1.12']], [['10.0.1.13', '10.0.1.19']]],
    ['boundary at a range edge', [['10.0.0.1', '10.0.0.2'], ['10.0.0.10', '10.0.0.11']], [['10.0.0.1', '10.0.0.2']], [['10.0.0.10', '10.0.0.11']]],
    ['no pools', [], [], []],
    ['malformed and reversed ranges are dropped', [['nope', '10.0.0.1'], ['10.0.0.9', '10.0.0.1'], ['10.0.0.1', '10.0.0.2']], [['10.0.0.1', '10.0.0.1']], [['10.0.0.2', '10.0.0.2']]],
  ];
  for (const [name, pools, primary, secondary] of cases) {
    test(name, () => {
      const p = pools.map(([start, end]) => ({ start, end }));
      const want = (xs: Array<[string, string]>) => xs.map(([start, end]) => ({ start, end }));
      assert.deepEqual(splitPools(p, 'primary'), want(primary));
      assert.deepEqual(splitPools(p, 'secondary'), want(secondary));
    });
  }
  test('the halves partition the pools (every address in exactly one half)', () => {
    const pools = [{ start: '10.0.0.3', end: '10.0.0.40' }, { start: '10.0.0.100', end: '10.0.0.107' }, { start: '10.0.2.0', end: '10.0.2.6' }];
    const expand = (rs: { start: string; end: string }[]) => rs.flatMap((r) => Array.from({ length: num(r.end) - num(r.start) + 1 }, (_, i) => num(r.start) + i));
    const a = expand(splitPools(pools, 'primary'));
    const b = expand(splitPools(pools, 'secondary'));
    assert.deepEqual([...a, ...b].sort((x, y) => x - y), expand(pools));
    assert.ok(Math.abs(a.length - b.length) <= 1);
    assert.ok(Math.max(...a) < Math.min(...b), 'primary below secondary');
  });
});

function rackService(role: 'primary' | 'secondary', withPeer = true): DhcpRackService {
  const vlan: DhcpVlanService = {
    vlan_id: 7, vid: 0, vlan_name: 'untagged', fabric_id: 1, fabric_name: 'fabric-0', mtu: 1500, role,
    peer: withPeer ? { rack: role === 'primary' ? 'rackb' : 'racka', ipv4: '10.9.0.3', ipv6: null } : null,
    interfaces: ['eth0'], relay_vlans: [],
    subnets: [{
      subnet_id: 3, cidr: '10.9.0.0/24', ip_version: 4, vlan_id: 7, relayed: false, netmask: '255.255.255.0', broadcast: '10.9.0.255',
      router: null, dns_servers: [], domain_name: 'maas', domain_search: ['maas'], ntp_servers: [], mtu: 1500,
      next_server: role === 'primary' ? '10.9.0.2' : '10.9.0.3', pools: [{ start: '10.9.0.100', end: '10.9.0.199' }], ipv6: null, hosts: [], boot: [],
    }],
  };
  return { rack: role === 'primary' ? 'racka' : 'rackb', hostname: role, lease_seconds: { default: 600, pxe: 30 }, vlans: [vlan], warnings: [] };
}

describe('translation of a failover VLAN', () => {
  const only = (c: ReturnType<typeof dhcpConfigFromService>): SubnetConfig => { assert.equal(c.subnets.length, 1); return c.subnets[0]; };
  test('primary: all pools, allocates from the lower half, never standby', () => {
    const s = only(dhcpConfigFromService(rackService('primary')));
    assert.deepEqual(s.pools, [{ start: '10.9.0.100', end: '10.9.0.199' }]);
    assert.deepEqual(s.allocate, [{ start: '10.9.0.100', end: '10.9.0.149' }]);
    assert.equal(s.standby, false);
    assert.equal(s.serverAddress, '10.9.0.2');
  });
  test('secondary: upper half; standby until its primary is gone, and again when it is back', () => {
    const svc = rackService('secondary');
    const standby = only(dhcpConfigFromService(svc));
    assert.deepEqual(standby.allocate, [{ start: '10.9.0.150', end: '10.9.0.199' }]);
    assert.equal(standby.standby, true);
    assert.equal(standby.serverAddress, '10.9.0.3');
    assert.equal(only(dhcpConfigFromService(svc, { primaryGone: new Set([7]) })).standby, false);
    assert.equal(only(dhcpConfigFromService(svc, { primaryGone: new Set([8]) })).standby, true, 'another VLAN taken over');
  });
  test('a VLAN without a secondary is served whole', () => {
    const s = only(dhcpConfigFromService(rackService('primary', false)));
    assert.equal(s.allocate, undefined);
    assert.equal(s.standby, undefined);
  });
});

describe('learnLeases (region push → lease store)', () => {
  const svc = rackService('secondary');
  const now = Date.parse('2030-01-01T00:00:00Z');
  const at = (s: number) => new Date(now + s * 1000).toISOString();
  const known = (over: Partial<DhcpKnownLease> = {}): DhcpKnownLease => ({
    subnet_id: 3, ip: '10.9.0.100', mac: '52:54:00:00:00:01', client_key: 'id:01525400000001', expires: at(60), rack: 'racka', updated: at(-1), ...over,
  });
  const local = (over: Partial<Lease> = {}): Lease => ({
    ip: '10.9.0.100', subnet: '10.9.0.0/24', clientKey: 'id:01525400000001', mac: '52:54:00:00:00:01', state: 'bound', expiresAt: now + 30_000, updatedAt: now - 5000, ...over,
  });
  const cases: Array<{ name: string; have?: Lease; push: DhcpKnownLease; taken: boolean; learned?: boolean }> = [
    { name: 'unknown address: taken, marked learned', push: known(), taken: true, learned: true },
    { name: 'our own lease echoed back (no local record): taken, not learned', push: known({ rack: 'rackb' }), taken: true, learned: false },
    { name: 'expired: ignored', push: known({ expires: at(-1) }), taken: false },
    { name: 'a subnet this rack does not serve: ignored', push: known({ subnet_id: 99 }), taken: false },
    { name: 'same client, the peer renewed it: taken', have: local(), push: known({ expires: at(90) }), taken: true },
    { name: 'same client, we hold it longer: kept', have: local({ expiresAt: now + 120_000 }), push: known(), taken: false },
    { name: 'same client, declined here: kept', have: local({ state: 'declined' }), push: known(), taken: false },
    { name: 'another client holds it live here (first-hand): kept', have: local({ clientKey: 'id:01ffffffffffff' }), push: known({ updated: at(0) }), taken: false },
    { name: 'another client, our record has run out: taken', have: local({ clientKey: 'id:01ffffffffffff', expiresAt: now - 1 }), push: known(), taken: true },
    { name: 'another client, our record was learned and is older: taken', have: local({ clientKey: 'id:01ffffffffffff', learned: true }), push: known(), taken: true },
    { name: 'no client key: the hardware key', push: known({ client_key: null }), taken: true, learned: true },
  ];
  for (const c of cases) {
    test(c.name, async () => {
      const store = new MemoryLeaseStore();
      if (c.have) await store.put(c.have);
      const n = await learnLeases(store, svc, [c.push], now);
      assert.equal(n, c.taken ? 1 : 0);
      const rec = store.get(c.push.ip);
      if (!c.taken) { assert.deepEqual(rec, c.have); return; }
      assert.equal(rec?.state, 'bound');
      assert.equal(rec?.expiresAt, Date.parse(c.push.expires));
      assert.equal(rec?.clientKey, c.push.client_key ?? `hw:1:${c.push.mac}`);
      assert.equal(rec?.subnet, '10.9.0.0/24');
      if (c.learned !== undefined) assert.equal(rec?.learned === true, c.learned);
    });
  }
});

// Two racks on one relayed subnet: pools 127.42.0.100-199, A allocates .100-.149, B .150-.199.
const POOL = [{ start: '127.42.0.100', end: '127.42.0.199' }];
const subnetA = (over: Partial<SubnetConfig> = {}) => relayedSubnet({ reservations: [], pools: POOL, allocate: splitPools(POOL, 'primary'), ...over });
const subnetB = (over: Partial<SubnetConfig> = {}) => relayedSubnet({ reservations: [], serverAddress: SECONDARY_IP, pools: POOL, allocate: splitPools(POOL, 'secondary'), ...over });

/** What the region would push to B about a lease A granted (A's lease event → report → push). */
function pushedFrom(ev: { ip: string; mac: string; clientKey: string; expiresAt?: number }): DhcpKnownLease {
  return { subnet_id: 1, ip: ev.ip, mac: ev.mac, client_key: ev.clientKey, expires: new Date(ev.expiresAt!).toISOString(), rack: 'racka', updated: new Date().toISOString() };
}
const svcFor = { rack: 'rackb', vlans: [{ subnets: [{ subnet_id: 1, cidr: RELAYED, ip_version: 4 }] }] } as unknown as DhcpRackService;

test('takeover: standby, then the primary\'s client keeps its address at the secondary; new clients get the upper half', async (t) => {
  const a = await startHarness({ config: testConfig({ subnets: [subnetA()] }), store: new MemoryLeaseStore() });
  const storeB = new MemoryLeaseStore();
  const b = await startHarness({ config: testConfig({ subnets: [subnetB({ standby: true })] }), store: storeB });
  t.after(async () => { await a.close(); await b.close(); });

  const x = freshMac();
  assert.ok(await b.silent(relayed({ type: T.DISCOVER, mac: x })), 'standby secondary ignores DISCOVER');
  const offer = await a.exchange(relayed({ type: T.DISCOVER, mac: x }));
  assert.equal(offer.packet.yiaddr, '127.42.0.100');
  assert.equal(messageType(await a.exchange(relayed({ type: T.REQUEST, mac: x, options: [[Opt.SERVER_ID, ipBytes(SERVER_IP)], [Opt.REQUESTED_IP, ipBytes('127.42.0.100')]] }))), T.ACK);
  const commit = a.events.at(-1)!;
  assert.equal(commit.type, 'commit');
  assert.ok(await b.silent(relayed({ type: T.REQUEST, mac: x, ciaddr: '127.42.0.100' })), 'standby: not its lease, even when known');
  assert.equal(await learnLeases(storeB, svcFor, [pushedFrom(commit)], Date.now()), 1);

  // A dies; the region tells B the primary is gone.
  await a.server.close();
  b.server.updateConfig(testConfig({ subnets: [subnetB()] }));
  const rebind = await b.exchange(relayed({ type: T.REQUEST, mac: x, ciaddr: '127.42.0.100' }));
  assert.equal(messageType(rebind), T.ACK);
  assert.equal(rebind.packet.yiaddr, '127.42.0.100', 'same address');
  assert.equal(b.events.at(-1)?.type, 'renew');
  const reboot = await b.exchange(relayed({ type: T.REQUEST, mac: x, options: [[Opt.REQUESTED_IP, ipBytes('127.42.0.100')]] }));
  assert.equal(messageType(reboot), T.ACK, 'INIT-REBOOT confirmed');

  const y = freshMac();
  const offerY = await b.exchange(relayed({ type: T.DISCOVER, mac: y, options: [[Opt.REQUESTED_IP, ipBytes('127.42.0.101')]] }));
  assert.equal(offerY.packet.yiaddr, '127.42.0.150', "a wish in the primary's half is not granted: B's lowest");
  assert.equal(messageType(await b.exchange(relayed({ type: T.REQUEST, mac: y, options: [[Opt.SERVER_ID, ipBytes(SECONDARY_IP)], [Opt.REQUESTED_IP, ipBytes('127.42.0.101')]] }))), T.NAK,
    "SELECTING an address of the primary's half at B");
  assert.equal(messageType(await b.exchange(relayed({ type: T.REQUEST, mac: y, options: [[Opt.SERVER_ID, ipBytes(SECONDARY_IP)], [Opt.REQUESTED_IP, ipBytes('127.42.0.150')]] }))), T.ACK);
  const stranger = await b.exchange(relayed({ type: T.REQUEST, mac: freshMac(), options: [[Opt.REQUESTED_IP, ipBytes('127.42.0.100')]] }));
  assert.equal(messageType(stranger), T.NAK, "x's address is x's");

  // The primary is back: B stands by, but still renews the leases it granted itself.
  b.server.updateConfig(testConfig({ subnets: [subnetB({ standby: true })] }));
  assert.equal(messageType(await b.exchange(relayed({ type: T.REQUEST, mac: y, ciaddr: '127.42.0.150' }))), T.ACK, 'own lease renewed');
  assert.ok(await b.silent(relayed({ type: T.DISCOVER, mac: freshMac() })), 'no new clients');
  assert.ok(await b.silent(relayed({ type: T.REQUEST, mac: freshMac(), options: [[Opt.REQUESTED_IP, ipBytes('127.42.0.150')]] })), 'no NAKs either');
});

test('a learned lease that lapsed in the peer\'s half is neither granted nor refused', async (t) => {
  const storeB = new MemoryLeaseStore();
  const b = await startHarness({ config: testConfig({ subnets: [subnetB()] }), store: storeB });
  t.after(() => b.close());
  const x = freshMac();
  const key = `hw:1:${x}`;
  await storeB.put({ ip: '127.42.0.120', subnet: RELAYED, clientKey: key, mac: x, state: 'bound', expiresAt: Date.now() - 1000, updatedAt: Date.now() - 60_000, learned: true });
  assert.ok(await b.silent(relayed({ type: T.REQUEST, mac: x, ciaddr: '127.42.0.120' })));
  const offer = await b.exchange(relayed({ type: T.DISCOVER, mac: x }));
  assert.equal(offer.packet.yiaddr, '127.42.0.150', 'a new address from its own half');
});

test('split brain (both racks answering, no region): no address offered to two clients', async (t) => {
  const a = await startHarness({ config: testConfig({ subnets: [subnetA()] }), store: new MemoryLeaseStore() });
  const b = await startHarness({ config: testConfig({ subnets: [subnetB()] }), store: new MemoryLeaseStore() });
  t.after(async () => { await a.close(); await b.close(); });
  const packets = Array.from({ length: 40 }, () => craft(relayed({ type: T.DISCOVER, mac: freshMac() })));
  await Promise.all(packets.flatMap((p) => [a.peer.sendPacket(p, a.serverPort), b.peer.sendPacket(p, b.serverPort)]));
  const offers = await Promise.all(packets.flatMap((p) => [a.peer.reply(p.xid), b.peer.reply(p.xid)]));
  const byAddress = new Map<string, Set<string>>();
  for (const o of offers) {
    const mac = o.packet.chaddr.subarray(0, 6).toString('hex');
    byAddress.set(o.packet.yiaddr, (byAddress.get(o.packet.yiaddr) ?? new Set()).add(mac));
    const fromA = o.packet.options.get(Opt.SERVER_ID)?.equals(ipBytes(SERVER_IP));
    assert.ok(fromA ? num(o.packet.yiaddr) <= num('127.42.0.149') : num(o.packet.yiaddr) >= num('127.42.0.150'), `${o.packet.yiaddr} from its own half`);
  }
  assert.equal(byAddress.size, 80);
  for (const [ip, macs] of byAddress) assert.equal(macs.size, 1, `${ip} offered to ${[...macs]}`);
});
