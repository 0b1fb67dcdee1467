/**
 * Interfaces that change after the rack linked (an operator's new VLAN interface, the lab's veth
 * created after `make up`): the rack polls its `interfaces()` and reports changes in
 * `interfaces.report`; the region places them like hello does and re-derives the rack's DHCP
 * service. Over real WebSockets on loopback against a real region (PGlite). The rack's interface
 * list is the test's input (what the OS would say), changed between polls; nothing binds DHCP ports:
 * the pushed service is applied to a RackServices that is never started.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DhcpRackService } from '../../src/domain/network/dhcp-service.ts';
import { RegionLink } from '../../src/edges/rack/link/client.ts';
import { dhcpConfig, type RackInterface } from '../../src/edges/rack/link/protocol.ts';
import { RackServices } from '../../src/edges/rack/services.ts';
import { DhcpPusher } from '../../src/edges/rpc/dhcp-push.ts';
import { attachRackEndpoint, type RackEndpoint } from '../../src/edges/rpc/endpoint.ts';
import { RackRegistry } from '../../src/edges/rpc/registry.ts';
import { ensureRackSecret } from '../../src/services/racks/secret.ts';
import { startTestRegion, type TestRegion } from '../helpers/region.ts';
import { FAST, until, waitFor } from './helpers.ts';

const POLL = 150;
const ETH0: RackInterface = { name: 'eth0', mac: '52:54:00:aa:10:01', addresses: ['10.77.5.2/24', 'fe80::1/64'] };
const ETH1: RackInterface = { name: 'eth1', mac: '52:54:00:bb:10:01', addresses: [] };
const LAB: RackInterface = { name: 'lab-rp', mac: '52:54:00:cc:10:01', addresses: ['10.213.0.1/24'] };

let region: TestRegion;
let registry: RackRegistry;
let endpoint: RackEndpoint;
let pusher: DhcpPusher;
let rack: RegionLink;
let systemId: string;
/** What the rack's OS says its interfaces are; the tests change it. */
let current: RackInterface[] = [ETH0, ETH1];
const reported: string[][] = [];
const warnings: string[] = [];
const services = new RackServices({ dataDir: join(tmpdir(), 'plinth-never-started'), decide: () => Promise.reject(new Error('not used')) });

before(async () => {
  region = await startTestRegion('pglite');
  registry = new RackRegistry();
  // The periodic pass is made too slow to matter: DHCP pushes here come from connects and from the
  // endpoint's interface-change hook (and from explicit nudges standing in for the periodic pass).
  pusher = new DhcpPusher(region.svc, registry, { intervalMs: 600_000 });
  endpoint = await attachRackEndpoint({ svc: region.svc, server: region.app.server, registry, ...FAST, onInterfacesChanged: () => { void pusher.nudge(); } });
  pusher.start();
  const secret = (await ensureRackSecret(region.svc)).secret;
  rack = new RegionLink({
    url: `${region.origin}/MAAS/`, secret, hostname: 'rack-if', version: '0.1.0-test', interfaces: () => current,
    ...FAST, backoff: { initialMs: 50, maxMs: 200 }, interfacesPollMs: POLL,
    log: { info() {}, warn: (o: object, m?: string) => { warnings.push(`${m} ${JSON.stringify(o)}`); } },
  });
  rack.on('interfaces-reported', (names: string[]) => reported.push(names));
  rack.on('dhcp', (raw: unknown) => {
    const push = dhcpConfig.parse(raw);
    void services.setDhcpService(push as unknown as DhcpRackService, new Set(push.primary_gone), push.leases);
  });
  const connected = waitFor<{ systemId: string }>(rack, 'connected');
  rack.start();
  systemId = (await connected).systemId;
});

after(async () => { await rack.stop(); await pusher.stop(); await endpoint.close(); await region.close(); });

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The rack's interfaces as the region has them: name → VLAN and addresses with their subnets. */
async function inRegion(): Promise<Map<string, { vlan: number | null; ips: string[]; subnets: Array<{ cidr: string; vlan: number }> }>> {
  const rows = await region.svc.db.query<{ name: string; vlan_id: number | null; ip: string | null; cidr: string | null; subnet_vlan: number | null }>(
    `select i.name, i.vlan_id, a.ip, s.cidr, s.vlan_id as subnet_vlan
       from nodes n join interfaces i on i.node_id = n.id
       left join static_ip_addresses a on a.interface_id = i.id
       left join subnets s on s.id = a.subnet_id
      where n.system_id = $1 order by i.name, a.ip`, [systemId]);
  const out = new Map<string, { vlan: number | null; ips: string[]; subnets: Array<{ cidr: string; vlan: number }> }>();
  for (const r of rows) {
    const e = out.get(r.name) ?? { vlan: r.vlan_id, ips: [], subnets: [] };
    if (r.ip) { e.ips.push(r.ip); e.subnets.push({ cidr: r.cidr!, vlan: r.subnet_vlan! }); }
    out.set(r.name, e);
  }
  return out;
}

describe('interfaces reported after the link is up', () => {
  it('does not call the region while the interfaces are unchanged (order does not count)', async () => {
    assert.deepEqual([...(await inRegion()).keys()], ['eth0', 'eth1']);
    await sleep(POLL * 3);
    current = [{ ...ETH1 }, { ...ETH0, addresses: [...ETH0.addresses].reverse() }];
    await sleep(POLL * 3);
    assert.deepEqual(reported, []);
    assert.deepEqual(warnings, []);
  });

  it('a new interface on a new network: the region gets the interface, a subnet on a new fabric, and the registry its list', async () => {
    const t0 = Date.now();
    current = [ETH0, ETH1, LAB];
    await until(async () => (await inRegion()).has('lab-rp'), 5000, 'lab-rp in the region');
    assert.ok(Date.now() - t0 < POLL * 10, `reported within a poll or two (took ${Date.now() - t0} ms)`);
    const lab = (await inRegion()).get('lab-rp')!;
    assert.deepEqual(lab.ips, ['10.213.0.1']);
    assert.deepEqual(lab.subnets, [{ cidr: '10.213.0.0/24', vlan: lab.vlan }], 'the subnet is on the interface\'s VLAN');
    const eth0Vlan = (await inRegion()).get('eth0')!.vlan;
    const fabrics = await region.svc.db.query<{ id: number; fabric_id: number }>('select id, fabric_id from vlans where id = any($1::int[])', [[lab.vlan, eth0Vlan]]);
    assert.equal(new Set(fabrics.map((f) => f.fabric_id)).size, 2, 'an unknown network gets its own fabric');
    // The region commits before the rack hears the answer.
    await until(() => reported.length === 1, 2000, 'the rack to hear the answer');
    assert.deepEqual(reported, [['eth0', 'eth1', 'lab-rp']]);
    assert.deepEqual(registry.get(systemId)!.interfaces.map((i) => i.name), ['eth0', 'eth1', 'lab-rp']);

    const subnets = (await region.api('GET', 'subnets/')).json() as Array<{ cidr: string }>;
    assert.ok(subnets.some((s) => s.cidr === '10.213.0.0/24'));
    const rc = (await region.api('GET', `rackcontrollers/${systemId}/`)).json();
    assert.deepEqual(rc.interface_set.map((i: { name: string }) => i.name).sort(), ['eth0', 'eth1', 'lab-rp']);
    assert.ok(rc.ip_addresses.includes('10.213.0.1'));
  });

  it('with DHCP on there, a changed address reaches the rack\'s DHCP service and its serving address at once', async () => {
    const n = reported.length;
    const [{ fabric_id }] = await region.svc.db.query<{ fabric_id: number }>(`select v.fabric_id from subnets s join vlans v on v.id = s.vlan_id where s.cidr = '10.213.0.0/24'`);
    assert.equal((await region.api('POST', 'ipranges/', [['type', 'dynamic'], ['start_ip', '10.213.0.100'], ['end_ip', '10.213.0.150'], ['subnet', '10.213.0.0/24']])).status, 200);
    const put = await region.api('PUT', `fabrics/${fabric_id}/vlans/0/`, [['dhcp_on', 'true'], ['primary_rack', systemId]]);
    assert.equal(put.status, 200, put.text);
    await pusher.nudge(); // what the periodic pass does after an API change
    await until(() => services.rackAddressFor('10.213.0.50') === '10.213.0.1', 5000, 'the DHCP service for 10.213.0.0/24');
    const before = JSON.stringify(rack.dhcpConfig);

    current = [ETH0, ETH1, { ...LAB, addresses: ['10.213.0.2/24'] }];
    // No periodic pass runs in this test: only the endpoint's interface-change hook can push this.
    await until(() => services.rackAddressFor('10.213.0.50') === '10.213.0.2', 5000, 'the new serving address pushed');
    assert.notEqual(JSON.stringify(rack.dhcpConfig), before);
    assert.deepEqual((await inRegion()).get('lab-rp')!.ips, ['10.213.0.2']);
    const vlan = (rack.dhcpConfig as { vlans: Array<{ interfaces: string[]; subnets: Array<{ cidr: string; next_server: string | null }> }> }).vlans[0];
    assert.deepEqual(vlan.interfaces, ['lab-rp']);
    assert.deepEqual(vlan.subnets.map((s) => [s.cidr, s.next_server]), [['10.213.0.0/24', '10.213.0.2']]);
    await until(() => reported.length === n + 1, 2000, 'one report');
  });

  it('a removed address and a removed interface are reflected; the subnet stays', async () => {
    const n = reported.length;
    current = [{ ...ETH0, addresses: [] }, { ...LAB, addresses: ['10.213.0.2/24'] }];
    await until(async () => { const r = await inRegion(); return !r.has('eth1') && r.get('eth0')!.ips.length === 0; }, 5000, 'the removal in the region');
    await until(() => reported.length === n + 1, 2000, 'one report');
    assert.equal((await region.svc.db.query(`select 1 from subnets where cidr = '10.77.5.0/24'`)).length, 1);
    assert.deepEqual(registry.get(systemId)!.interfaces.map((i) => i.name), ['eth0', 'lab-rp']);
  });

  it('a report the region refuses is logged and retried on the next tick', async () => {
    const n = reported.length;
    warnings.length = 0;
    // A second physical interface with eth0's MAC: the region refuses it (conflict).
    current = [{ ...ETH0, addresses: [] }, { ...LAB, addresses: ['10.213.0.2/24'] }, { name: 'dup0', mac: ETH0.mac, addresses: [] }];
    await until(() => warnings.length >= 2, 5000, 'two failed attempts');
    assert.match(warnings[0], /could not tell the region.*already used/);
    assert.equal((await inRegion()).has('dup0'), false);
    current = [{ ...ETH0, addresses: [] }, { ...LAB, addresses: ['10.213.0.2/24'] }, { name: 'dup0', mac: '52:54:00:dd:10:01', addresses: [] }];
    await until(async () => (await inRegion()).has('dup0'), 5000, 'dup0 with its own MAC');
    await until(() => reported.length === n + 1, 2000, 'one report');
  });

  it('a change while the link is down reaches the region in the next hello', async () => {
    const n = reported.length;
    const down = waitFor(rack, 'disconnected');
    registry.drop(systemId, 1001, 'test: link down');
    await down;
    // The rack reconnects after its backoff (>= 35 ms); the poll does nothing while the link is down.
    current = [{ ...ETH0, addresses: ['10.77.5.2/24'] }, { ...LAB, addresses: ['10.213.0.2/24'] },
      { name: 'eth0.42', mac: ETH0.mac, addresses: ['10.78.5.2/24'], vid: 42, parent: 'eth0' }];
    await waitFor(rack, 'connected');
    const r = await inRegion();
    assert.deepEqual([...r.keys()], ['eth0', 'eth0.42', 'lab-rp']);
    assert.deepEqual(r.get('eth0')!.ips, ['10.77.5.2']);
    assert.deepEqual(r.get('eth0.42')!.subnets.map((s) => s.cidr), ['10.78.5.0/24']);
    await sleep(POLL * 3);
    assert.equal(reported.length, n, 'hello carried it: no report after the reconnect');
    assert.deepEqual(registry.get(systemId)!.interfaces.map((i) => i.name), ['eth0', 'lab-rp', 'eth0.42']);
  });

  it('stops polling when the link stops', async () => {
    await rack.stop();
    const n = reported.length;
    current = [ETH0];
    await sleep(POLL * 3);
    assert.equal(reported.length, n);
  });
});
