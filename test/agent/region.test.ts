/**
 * The bundled agent against the real region: a machine is commissioned, and the agent — run on this
 * build host with --dry-run, so only the scripts that read the machine run (facts, lshw, dmidecode,
 * storage layout) — fetches the region's scripts, runs them and signals; the region ingests this host's
 * facts and the machine becomes Ready. Power goes to a BMC test double (we have no hardware).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBmcDouble, type BmcDouble } from '../lifecycle/bmc-double.ts';
import { newMachine, startLifecycleRegion, type LifecycleRegion } from '../lifecycle/helpers.ts';
import { nodeKey } from '../metadata/helpers.ts';

const kind = 'pglite';
describe(`agent against the region (${kind})`, () => {
  let r: LifecycleRegion;
  let bmc: BmcDouble;
  const dir = mkdtempSync(join(tmpdir(), 'plinth-agent-region-'));
  const bundle = join(dir, 'plinth-agent.mjs');
  before(async () => {
    execFileSync(join(process.cwd(), 'node_modules/.bin/esbuild'), ['src/agent/main.ts', '--bundle', '--platform=node', '--target=node18', '--format=esm', `--outfile=${bundle}`, '--log-level=warning']);
    r = await startLifecycleRegion(kind);
    bmc = await startBmcDouble();
  });
  after(async () => { await r?.close(); await bmc?.stop(); rmSync(dir, { recursive: true, force: true }); });

  test('commission a machine; the agent brings it to Ready with this host\'s facts', async () => {
    const sid = r.sid(await r.api('POST', 'machines/', newMachine('agent-host', bmc.fields())));
    await r.runner.drain();
    assert.equal((await r.status(sid)).status, 1, 'Commissioning');
    const [consumer, token, secret] = (await nodeKey(r, sid)).split(':');
    const cfg = join(dir, '91_kernel_cmdline_url.cfg');
    writeFileSync(cfg, `#cloud-config\ndatasource:\n  MAAS:\n    metadata_url: ${r.origin}/MAAS/metadata/\n    consumer_key: ${consumer}\n    token_key: ${token}\n    token_secret: ${secret}\n`);
    const out = await new Promise<{ code: number; log: string }>((resolve) => {
      const p = spawn(process.execPath, [bundle, 'run', '--config', cfg, '--work-dir', join(dir, 'work'), '--dry-run']);
      let log = '';
      p.stdout.on('data', (c) => { log += c; }); p.stderr.on('data', (c) => { log += c; });
      p.on('close', (code) => resolve({ code: code ?? -1, log }));
    });
    assert.equal(out.code, 0, out.log);
    await r.runner.drain();
    const m = (await r.api('GET', `machines/${sid}/`)).json();
    assert.equal(m.status_name, 'Ready', `${m.status_message}\n${out.log}`);
    assert.equal(m.cpu_count, cpus().length);
    const factsFile = readdirSync(join(dir, 'work/out')).find((f) => /^00-plinth-facts(\.\d+)?\.out$/.test(f))!;
    const facts = JSON.parse(readFileSync(join(dir, 'work/out', factsFile), 'utf8'));
    assert.deepEqual(m.interface_set.map((i: any) => i.mac_address).sort(), facts.nics.map((n: any) => n.mac).sort());
    assert.deepEqual(m.physicalblockdevice_set.map((d: any) => d.name), facts.disks.map((d: any) => d.name));
    const results = (await r.api('GET', `nodes/${sid}/results/current-commissioning/`)).json();
    assert.equal(results.status_name, 'Passed');
    assert.ok(results.results.every((x: any) => x.status_name === 'Passed'), JSON.stringify(results.results.map((x: any) => [x.name, x.status_name])));
  });
});
