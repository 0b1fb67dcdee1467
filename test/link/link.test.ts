/**
 * The rack ↔ region link over real WebSockets on loopback against a real region (PGlite): auth,
 * registration and the rackcontrollers/ API, DHCP pushes, power through the link (against the
 * webhook BMC test double from test/power — we have no BMC hardware), heartbeat death, secret
 * rotation, and malformed or oversized frames.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { WebSocket } from 'ws';
import { digest, parseFrame, challengeFrame } from '../../src/edges/rack/link/protocol.ts';
import { powerExecuteHandler } from '../../src/edges/rack/link/power-handler.ts';
import { PowerService } from '../../src/edges/rack/power/service.ts';
import { PowerPortError } from '../../src/services/ports/power.ts';
import { rackSecret } from '../../src/services/racks/secret.ts';
import type { RegionLink } from '../../src/edges/rack/link/client.ts';
import { startWebhookSim, type WebhookSim } from '../power/webhook-sim.ts';
import { newLink, startLinkedRegion, until, waitFor, type LinkedRegion } from './helpers.ts';

let region: LinkedRegion;
let sim: WebhookSim;
const links: RegionLink[] = [];
const link = (...a: Parameters<typeof newLink>) => { const l = newLink(...a); links.push(l); return l; };

before(async () => { region = await startLinkedRegion(); sim = await startWebhookSim(); });
after(async () => { for (const l of links) await l.stop(); await sim.stop(); await region.close(); });

const wsUrl = () => `${region.origin.replace('http', 'ws')}/MAAS/rpc/rack`;

/** A raw client that authenticates with `secret` and resolves once authenticated (or closed). */
function rawClient(secret: string | null, opts: { firstFrame?: string } = {}): Promise<{ ws: WebSocket; closed: Promise<{ code: number; reason: string }>; ok: boolean }> {
  const ws = new WebSocket(wsUrl());
  const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  return new Promise((resolve) => {
    ws.on('message', (data) => {
      const ch = parseFrame(challengeFrame, data);
      if (ch) {
        if (opts.firstFrame !== undefined) ws.send(opts.firstFrame);
        else ws.send(JSON.stringify({ type: 'auth', digest: digest(secret!, 'rack', ch.nonce), nonce: 'ab'.repeat(16) }));
        return;
      }
      if (String(data).includes('auth-ok')) resolve({ ws, closed, ok: true });
    });
    void closed.then(() => resolve({ ws, closed, ok: false }));
  });
}

describe('rack link', () => {
  it('refuses a wrong secret, and any frame before authentication', async () => {
    const bad = link(region.rpcUrl, 'f'.repeat(64));
    const failed = waitFor<string>(bad, 'auth-failed');
    bad.start();
    assert.match(await failed, /refused|secret/);
    await bad.stop();
    const early = await rawClient(null, { firstFrame: JSON.stringify({ type: 'call', id: 1, method: 'hello', params: { hostname: 'x', version: '1', interfaces: [] } }) });
    assert.equal(early.ok, false);
    assert.equal((await early.closed).code, 4401);
    const big = await rawClient(null, { firstFrame: 'x'.repeat(5000) });
    assert.equal((await big.closed).code, 4401);
    assert.equal(region.registry.list().length, 0);
    const n = await region.svc.db.query<{ n: number }>('select count(*)::int as n from nodes where node_type = 2');
    assert.equal(n[0].n, 0);
  });

  let rack: RegionLink;
  let systemId: string;

  it('registers the rack: node, fabric, VLAN and subnets, sticky addresses; rackcontrollers/ shows it', async () => {
    rack = link(region.rpcUrl, region.secret);
    const connected = waitFor<{ systemId: string }>(rack, 'connected');
    rack.start();
    systemId = (await connected).systemId;
    assert.equal(rack.systemId, systemId);
    await rack.reportServices({ dhcp: { status: 'running' }, tftp: { status: 'degraded', reason: 'no images' }, images: [{ name: 'ubuntu/noble', architecture: 'amd64', subarches: ['generic'] }] });

    const db = region.svc.db;
    const [node] = await db.query<{ id: number; node_type: number; hostname: string }>('select id, node_type, hostname from nodes where system_id = $1', [systemId]);
    assert.deepEqual([node.node_type, node.hostname], [2, 'rack-one']);
    const subnets = await db.query<{ cidr: string; vid: number; fabric_id: number }>(
      `select s.cidr, v.vid, v.fabric_id from subnets s join vlans v on v.id = s.vlan_id where s.cidr in ('10.77.1.0/24', '10.78.1.0/24') order by s.cidr`);
    assert.deepEqual(subnets.map((s) => [s.cidr, s.vid]), [['10.77.1.0/24', 0], ['10.78.1.0/24', 42]]);
    assert.equal(subnets[0].fabric_id, subnets[1].fabric_id, 'the tagged VLAN is on its parent\'s fabric');
    assert.notEqual(subnets[0].fabric_id, 0, 'an unknown network gets a new fabric');
    const ips = await db.query<{ ip: string; alloc_type: number; name: string }>(
      'select a.ip, a.alloc_type, i.name from static_ip_addresses a join interfaces i on i.id = a.interface_id where a.node_id = $1 order by a.ip', [node.id]);
    assert.deepEqual(ips.map((r) => [r.ip, r.alloc_type, r.name]), [['10.77.1.2', 1, 'eth0'], ['10.78.1.2', 1, 'eth0.42']]);

    const list = await region.api('GET', 'rackcontrollers/');
    assert.equal(list.status, 200);
    const [r] = list.json();
    assert.equal(r.system_id, systemId);
    assert.equal(r.node_type, 2);
    assert.equal(r.node_type_name, 'Rack controller');
    assert.equal(r.version, '0.1.0-test');
    assert.deepEqual(r.ip_addresses.sort(), ['10.77.1.2', '10.78.1.2']);
    assert.deepEqual(r.interface_set.map((i: any) => i.name).sort(), ['eth0', 'eth0.42', 'eth1']);
    const svc = Object.fromEntries(r.service_set.map((s: any) => [s.name, [s.status, s.status_info]]));
    assert.deepEqual(svc.rackd, ['running', '']);
    assert.deepEqual(svc.dhcpd, ['running', '']);
    assert.deepEqual(svc.tftp, ['degraded', 'no images']);
    assert.equal((await region.api('GET', 'rackcontrollers/?hostname=nope')).json().length, 0);
    assert.equal((await region.api('GET', `rackcontrollers/?id=${systemId}`)).json().length, 1);
    assert.equal((await region.api('GET', `rackcontrollers/${systemId}/`)).json().hostname, 'rack-one');
    assert.equal((await region.api('GET', 'rackcontrollers/nosuch/')).status, 404);
    const images = (await region.api('GET', `rackcontrollers/${systemId}/?op=list_boot_images`)).json();
    assert.deepEqual(images, { images: [{ name: 'ubuntu/noble', architecture: 'amd64', subarches: ['generic'] }], connected: true, status: 'synced' });
    const imp = await region.api('POST', `rackcontrollers/${systemId}/?op=import_boot_images`);
    assert.equal(imp.status, 200);
    assert.match(imp.text, /no boot resources/);
    assert.equal((await region.api('POST', `rackcontrollers/${systemId}/?op=import_boot_images`, [], region.userKey)).status, 403);
    assert.equal((await region.api('DELETE', `rackcontrollers/${systemId}/`, [], region.userKey)).status, 403);
    assert.equal((await region.api('GET', 'machines/')).json().length, 0, 'a rack is not a machine');
    assert.ok((await region.api('GET', 'rackcontrollers/?op=describe_power_types')).json().some((t: any) => t.name === 'webhook'));
  });

  it('pushes the DHCP configuration on connect and when the network model changes', async () => {
    const first = rack.dhcpConfig as { rack: string; vlans: unknown[] };
    assert.equal(first?.rack, systemId);
    assert.equal(first.vlans.length, 0);
    const changed = new Promise<{ vlans: Array<{ vid: number; subnets: unknown[] }> }>((resolve) =>
      rack.on('dhcp', (c) => { if (c.vlans.length) resolve(c); }));
    const vlan = (await region.svc.db.query<{ fabric_id: number }>(`select v.fabric_id from subnets s join vlans v on v.id = s.vlan_id where s.cidr = '10.77.1.0/24'`))[0];
    assert.equal((await region.api('POST', 'ipranges/', [['type', 'dynamic'], ['start_ip', '10.77.1.100'], ['end_ip', '10.77.1.150'], ['subnet', '10.77.1.0/24']])).status, 200);
    const put = await region.api('PUT', `fabrics/${vlan.fabric_id}/vlans/0/`, [['dhcp_on', 'true'], ['primary_rack', systemId]]);
    assert.equal(put.status, 200, put.text);
    const cfg = await Promise.race([changed, new Promise<never>((_, rej) => setTimeout(() => rej(new Error('no push')), 20_000))]);
    assert.equal(cfg.vlans[0].vid, 0);
    assert.equal(cfg.vlans[0].subnets.length, 1);
  });

  it('drives power through the rack (webhook BMC test double) and fails retryably without a rack', async () => {
    rack.handle('power.execute', powerExecuteHandler(new PowerService({ attempts: 1, verifyTimeoutMs: 2000, verifyIntervalMs: 50 })));
    const params = { power_on_uri: `${sim.url}/on`, power_off_uri: `${sim.url}/off`, power_query_uri: `${sim.url}/status` };
    sim.state.power = 'off';
    const r = await region.svc.power!.execute({ powerType: 'webhook', params }, 'on');
    assert.equal(r.state, 'on');
    assert.equal(sim.state.power, 'on');
    assert.equal((await region.svc.power!.execute({ powerType: 'webhook', params }, 'query')).state, 'on');
    sim.failNext(500, 5);
    await assert.rejects(region.svc.power!.execute({ powerType: 'webhook', params }, 'off'), (e: unknown) => e instanceof PowerPortError && e.code !== 'no_rack');
  });

  it('detects a silent rack by its heartbeat and the rack reconnects', async () => {
    const gone = waitFor<string>(region.registry, 'disconnected', 20_000);
    const socket = (rack as any).ws._socket as import('node:net').Socket;
    socket.pause(); // the rack stops reading: no pongs reach the region
    const t0 = Date.now();
    assert.equal(await gone, systemId);
    assert.ok(Date.now() - t0 >= 500, 'not before the dead interval');
    socket.resume();
    await until(() => !!region.registry.get(systemId), 20_000, 'reconnect');
    const [st] = await region.svc.db.query<{ connected: boolean }>('select connected from rack_status s join nodes n on n.id = s.node_id where n.system_id = $1', [systemId]);
    assert.equal(st.connected, true);
  });

  it('closes the link on malformed and oversized frames; the region is unharmed', async () => {
    const c = await rawClient(region.secret);
    assert.ok(c.ok);
    c.ws.send('{not json');
    assert.equal((await c.closed).code, 4400);
    const d = await rawClient(region.secret);
    d.ws.send(JSON.stringify({ type: 'call', id: 1, method: 'hello', params: { hostname: 'x'.repeat(500), version: '1', interfaces: [] } }));
    const answer = await new Promise<string>((resolve) => d.ws.on('message', (m) => resolve(String(m))));
    assert.match(answer, /"bad_request"/);
    d.ws.send(Buffer.alloc(9 * 1024 * 1024, 0x20).toString());
    assert.equal((await d.closed).code, 1009);
    assert.equal((await region.api('GET', 'rackcontrollers/')).status, 200);
    assert.ok(region.registry.get(systemId), 'the real rack stays connected');
  });

  it('rotating the secret drops the link and the old secret no longer works', async () => {
    const dropped = waitFor<{ code: number }>(rack, 'disconnected');
    const refused = waitFor<string>(rack, 'auth-failed');
    const { secret } = await rackSecret(region.svc, { rotate: true });
    assert.notEqual(secret, region.secret);
    assert.equal((await dropped).code, 4403);
    await refused;
    assert.equal(region.registry.get(systemId), undefined);
    await rack.stop();
    const again = link(region.rpcUrl, secret, { systemId });
    const back = waitFor<{ systemId: string }>(again, 'connected');
    again.start();
    assert.equal((await back).systemId, systemId, 'the same rack, by its system_id');
    await region.svc.power!.execute({ powerType: 'webhook', params: { power_query_uri: `${sim.url}/status`, power_on_uri: `${sim.url}/on`, power_off_uri: `${sim.url}/off` } }, 'query')
      .then(() => assert.fail('this link has no power handler'), (e) => assert.ok(e instanceof PowerPortError));
    await again.stop();
    await until(() => region.registry.list().length === 0);
    await assert.rejects(region.svc.power!.execute({ powerType: 'webhook', params: {} }, 'query'),
      (e: unknown) => e instanceof PowerPortError && e.code === 'no_rack' && e.retryable);
    const listed = (await region.api('GET', `rackcontrollers/${systemId}/`)).json();
    // The region recorded the disconnect: services are shown off with the reason.
    assert.ok(listed.service_set.every((s: any) => s.status !== 'running'));
    assert.match(listed.service_set.find((s: any) => s.name === 'dhcpd').status_info, /not connected/);
  });

  it('deletes a rack that serves DHCP only with force', async () => {
    const del = await region.api('DELETE', `rackcontrollers/${systemId}/`);
    assert.equal(del.status, 400);
    assert.match(del.text, /DHCP/);
    assert.equal((await region.api('DELETE', `rackcontrollers/${systemId}/`, [['force', 'true']])).status, 204);
    assert.equal((await region.api('GET', `rackcontrollers/${systemId}/`)).status, 404);
  });
});
