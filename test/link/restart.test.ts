/**
 * Region restart: the rack reconnects with growing backoff and, meanwhile, keeps its DHCP config and
 * cached boot answers; a rack process restarted during the outage serves from its cache file.
 * Also `plinth rack register` and `plinth rack secret` end to end (the CLI as a child process).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { buildRegionServer } from '../../src/edges/http/region-server.ts';
import { HANDLERS } from '../../src/edges/maas/handlers/index.ts';
import { attachRackEndpoint } from '../../src/edges/rpc/endpoint.ts';
import type { RegionLink } from '../../src/edges/rack/link/client.ts';
import { FAST, newLink, startLinkedRegion, until, waitFor, type LinkedRegion } from './helpers.ts';

const run = promisify(execFile);
let region: LinkedRegion;
const dir = mkdtempSync(join(tmpdir(), 'plinth-link-'));
const stops: Array<() => Promise<unknown>> = [];

before(async () => { region = await startLinkedRegion(); });
after(async () => { for (const s of stops.reverse()) await s(); await region.close(); rmSync(dir, { recursive: true, force: true }); });

describe('region restart', () => {
  it('the rack keeps serving from its cache and reconnects with backoff', async () => {
    const rack: RegionLink = newLink(region.rpcUrl, region.secret, { dataDir: join(dir, 'rack'), backoff: { initialMs: 100, maxMs: 800, jitter: 0 } });
    stops.push(() => rack.stop());
    const up = waitFor<{ systemId: string }>(rack, 'connected');
    const firstDhcp = waitFor<{ rack: string }>(rack, 'dhcp');
    rack.start();
    const { systemId } = await up;
    assert.equal((await firstDhcp).rack, systemId);
    const req = { mac: '52:54:00:12:34:56', firmware: 'bios' as const, rackHost: '10.77.1.2' };
    const decision = await rack.decideBoot(req) as { purpose: string };
    assert.equal(decision.purpose, 'enlist');

    // The region goes away (its HTTP server and link endpoint; the store stays).
    const port = (region.app.server.address() as { port: number }).port;
    const delays: number[] = [];
    rack.on('disconnected', (d: { retryInMs: number }) => delays.push(d.retryInMs));
    await region.closeLinks();
    await region.app.close();
    await until(() => delays.length >= 3, 5000, 'reconnect attempts');
    assert.ok(delays[1] > delays[0] && delays[2] > delays[1], `backoff grows: ${delays}`);
    assert.equal(rack.connected, false);
    assert.equal((rack.dhcpConfig as { rack: string }).rack, systemId, 'the DHCP config is kept');
    assert.deepEqual(await rack.decideBoot(req), decision, 'a cached boot answer while the region is down');
    await assert.rejects(rack.decideBoot({ ...req, mac: '52:54:00:00:00:99' }), /not connected/);

    // A rack process restarted during the outage serves its cached config at once.
    const restarted = newLink(region.rpcUrl, region.secret, { dataDir: join(dir, 'rack'), systemId });
    stops.push(() => restarted.stop());
    const cached = waitFor<{ rack: string }>(restarted, 'dhcp');
    restarted.start();
    assert.equal((await cached).rack, systemId);
    await restarted.stop();

    // The region comes back on the same port.
    const { app } = buildRegionServer({ svc: region.svc, handlers: HANDLERS, deps: { version: 'test' }, logger: false });
    await app.listen({ port, host: '127.0.0.1' });
    const { RackRegistry } = await import('../../src/edges/rpc/registry.ts');
    const registry = new RackRegistry();
    const endpoint = await attachRackEndpoint({ svc: region.svc, server: app.server, registry, ...FAST });
    stops.push(async () => { await endpoint.close(); await app.close(); });
    const back = waitFor<{ systemId: string }>(rack, 'connected', 5000);
    assert.equal((await back).systemId, systemId);
    assert.ok(registry.get(systemId));
  });
});

describe('plinth rack CLI', () => {
  const cli = (args: string[]) => run(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { cwd: process.cwd(), env: { ...process.env, PLINTH_DATA_DIR: '' } });

  it('register validates by connecting and writes rack.json (0600)', async () => {
    // A fresh region endpoint: the restart test above replaced the original one.
    const r2 = await startLinkedRegion();
    stops.push(() => r2.close());
    const rackDir = join(dir, 'cli-rack');
    await assert.rejects(cli(['rack', 'register', '--url', r2.rpcUrl, '--secret', 'e'.repeat(64), '--data-dir', rackDir, '--hostname', 'cli-rack']),
      (e: { stderr: string }) => /Authentication failed/.test(e.stderr));
    const out = await cli(['rack', 'register', '--url', r2.rpcUrl, '--secret', r2.secret, '--data-dir', rackDir, '--hostname', 'cli-rack']);
    const file = JSON.parse(readFileSync(join(rackDir, 'rack.json'), 'utf8'));
    assert.equal(file.secret, r2.secret);
    assert.match(out.stdout, new RegExp(`Registered rack ${file.system_id}`));
    assert.equal(statSync(join(rackDir, 'rack.json')).mode & 0o777, 0o600);
    const listed = (await r2.api('GET', 'rackcontrollers/?hostname=cli-rack')).json();
    assert.equal(listed[0].system_id, file.system_id);
    // Registering again keeps the identity.
    await cli(['rack', 'register', '--url', r2.rpcUrl, '--secret', r2.secret, '--data-dir', rackDir, '--hostname', 'cli-rack']);
    assert.equal(JSON.parse(readFileSync(join(rackDir, 'rack.json'), 'utf8')).system_id, file.system_id);
    assert.equal((await r2.api('GET', 'rackcontrollers/')).json().length, 1);
  });

  it('secret prints, and --rotate replaces, the stored secret (no region running)', async () => {
    const dataDir = join(dir, 'region-data');
    const first = (await cli(['rack', 'secret', '--data-dir', dataDir])).stdout.trim();
    assert.match(first, /^[0-9a-f]{64}$/);
    assert.equal((await cli(['rack', 'secret', '--data-dir', dataDir])).stdout.trim(), first);
    const rotated = await cli(['rack', 'secret', '--rotate', '--data-dir', dataDir]);
    assert.notEqual(rotated.stdout.trim(), first);
    assert.equal(readFileSync(join(dataDir, 'secret'), 'utf8').trim(), rotated.stdout.trim());
    assert.equal(statSync(join(dataDir, 'secret')).mode & 0o777, 0o600);
  });
});


