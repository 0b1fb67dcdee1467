/**
 * End-to-end faults (issue 8 §4) on one BIOS lab machine, with Plinth as two processes an operator
 * runs (`plinth region`, `plinth rack run`; processes.ts), so each can be killed for real:
 *  1. the rack restarted (SIGKILL, then started again) while the machine runs its commissioning
 *     scripts → commissioning completes (Ready);
 *  2. the BMC unreachable → power commands fail with a clear error, the machine is kept as it was;
 *  3. `kill -9` of the region while the installer writes the disk → after the region restarts on the
 *     same data directory, the deployment completes (Deployed);
 *  4. a machine that never boots (its provisioning network cut at the rack) → Failed deployment after
 *     the timeout, naming the stalled step: await_installer (the installer never started).
 * Heavy (~20 min under TCG): runs with PLINTH_E2E=full.
 */
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { consoleTail, e2eSkipReason, ensureImages, startLab, StopWaiting, until } from './harness.ts';
import { startSplitPlinth, stopProc, type SplitPlinth } from './processes.ts';
import { dhcpOn, enlistByBmc, events, history, machineJson, powerIsOff, waitStatus } from './steps.ts';

const run = promisify(execFile);
const skip = e2eSkipReason('full');

describe('end to end: faults', { skip }, () => {
  let lab: Awaited<ReturnType<typeof startLab>> | undefined;
  let plinth: SplitPlinth | undefined;
  let sid: string | undefined;
  let keyDir: string | undefined;
  after(async () => { await plinth?.close(); await lab?.close(); if (keyDir) rmSync(keyDir, { recursive: true, force: true }); });

  /** A failed check carries the machine's events, both processes' logs and the VM's console. */
  const explain = async (err: unknown): Promise<never> => {
    const kept = join(process.cwd(), '.cache', 'e2e-logs', `faults-${Date.now()}-console.log`);
    mkdirSync(dirname(kept), { recursive: true });
    try { copyFileSync(lab!.status.machines[0].consoleLog, kept); } catch { /* no console yet */ }
    throw new Error(`${(err as Error).message}\n(full console: ${kept})\n${plinth ? await history(plinth.api, sid) : ''}${plinth?.logs() ?? ''}\n--- console ---\n${lab ? consoleTail(lab.status) : ''}`);
  };
  const step = (name: string, fn: () => Promise<void>, minutes = 30) => it(name, { timeout: minutes * 60_000 }, async () => {
    const t0 = Date.now();
    await fn().catch(explain);
    process.stderr.write(`  ${((Date.now() - t0) / 1000).toFixed(1).padStart(7)} s  ${name}\n`);
  });

  step('images built (or cached); lab and a two-process Plinth up; the machine enlisted', async () => {
    await ensureImages((line) => process.stderr.write(`  [images] ${line}\n`));
    keyDir = mkdtempSync(join(tmpdir(), 'plinth-e2e-ssh-'));
    await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(keyDir, 'id'), '-C', 'e2e@plinth']);
    lab = await startLab({ firmware: 'bios', memoryMiB: 1536 });
    plinth = await startSplitPlinth({ sshKeyFile: join(keyDir, 'id.pub') });
    await dhcpOn(plinth.api, lab.status, { dynamic: [200, 254], reserved: [1, 10] });
    sid = await enlistByBmc(plinth.api, lab.status, 0, (found) => { sid = found; });
    await until('power off after enlistment', () => powerIsOff(lab!.status), 300_000, 3000);
  }, 90);

  step('rack killed and restarted while commissioning scripts run → Ready', async () => {
    const { api } = plinth!;
    const seen = Math.max(0, ...(await events(api, sid!, 1)).map((e) => e.id));
    const r = await api('POST', `machines/${sid}/?op=commission`);
    assert.equal(r.status, 200, r.text);
    // The environment is up once its cloud-init reports (through the rack's metadata proxy); its
    // scripts, their results and its final signal are still to come, all through the rack.
    await until('the commissioning environment to report', async () => {
      const m = await machineJson(api, sid!);
      if (m.status_name !== 'Commissioning') throw new StopWaiting(`${m.status_name}: ${m.status_message}`);
      return (await events(api, sid!, 20)).some((e) => e.id > seen && e.type === 'Node status event');
    }, 600_000, 1000);
    await stopProc(plinth!.rack(), 'SIGKILL');
    await new Promise((ok) => setTimeout(ok, 5000));
    await plinth!.startRack();
    const m = await waitStatus(api, sid!, 'Ready', 900_000);
    assert.equal(m.physicalblockdevice_set.length, 2);
    await until('power off after commissioning', () => powerIsOff(lab!.status), 300_000, 3000);
  });

  step('BMC unreachable → a clear error; the machine is kept as it was', async () => {
    const { api } = plinth!;
    const params = (await api('GET', `machines/${sid}/?op=power_parameters`)).json();
    const dead = lab!.status.network.bmc.cidr.split('.').slice(0, 3).join('.') + '.250';
    assert.equal((await api('PUT', `machines/${sid}/`, [['power_parameters_power_address', dead]])).status, 200);
    try {
      const q = await api('GET', `machines/${sid}/?op=query_power_state`);
      assert.equal(q.status, 503, q.text);
      assert.match(q.text, /^Unable to query power state: \S.{10,}/, q.text);
      process.stderr.write(`  BMC unreachable: ${q.text.slice(0, 300)}\n`);
      // power_on needs an owner (MAAS: "Can't start node: it hasn't been allocated."); power_off does not.
      const off = await api('POST', `machines/${sid}/?op=power_off`);
      assert.equal(off.status, 200, off.text);
      // Each try is the driver's own retries against silence (~1 min); the event names what failed.
      const m = await until('the failed power-off to be recorded', async () => {
        const x = await machineJson(api, sid!);
        const e = (await events(api, sid!, 20)).find((v) => /Failed to power off the machine: .*no answer from the BMC/.test(v.description));
        if (e) process.stderr.write(`  power off, BMC unreachable: ${e.level} ${e.type}: ${e.description.slice(0, 300)}\n`);
        return e && x;
      }, 420_000, 3000);
      assert.equal(m.status_name, 'Ready', 'the machine keeps its status');
      assert.equal((await api('GET', `machines/?hostname=${m.hostname}`)).json().length, 1, 'the machine is still listed');
    } finally {
      assert.equal((await api('PUT', `machines/${sid}/`, [['power_parameters_power_address', params.power_address]])).status, 200);
    }
    assert.ok(await powerIsOff(lab!.status), 'the unreachable BMC was never the machine\'s');
  });

  step('region killed (-9) while the installer writes the disk → restarted, the deployment completes', async () => {
    const { api } = plinth!;
    const d = await api('POST', `machines/${sid}/?op=deploy`, [['osystem', 'debian'], ['distro_series', 'bookworm']]);
    assert.equal(d.status, 200, d.text);
    await until('the installer to start', async () => {
      const m = await machineJson(api, sid!);
      if (/^Failed/.test(m.status_name)) throw new StopWaiting(`${m.status_name}: ${m.status_message}`);
      return (await events(api, sid!, 50)).some((e) => e.type === 'Node installation');
    }, 900_000, 2000);
    await stopProc(plinth!.region(), 'SIGKILL');
    await new Promise((ok) => setTimeout(ok, 10_000));
    await plinth!.startRegion();
    await waitStatus(api, sid!, 'Deployed', 1_200_000);
  }, 40);

  step('a machine that never boots → Failed deployment after the timeout, the stalled step named', async () => {
    const { api } = plinth!;
    const rel = await api('POST', `machines/${sid}/?op=release`);
    assert.equal(rel.status, 200, rel.text);
    await waitStatus(api, sid!, 'Ready', 600_000);
    await until('power off after release', () => powerIsOff(lab!.status), 300_000, 3000);
    assert.equal((await api('POST', 'maas/?op=set_config', [['name', 'node_timeout'], ['value', '2']])).status, 200);
    const cut = `${lab!.status.name}-rp`;
    await run('ip', ['link', 'set', cut, 'down']);
    try {
      const d = await api('POST', `machines/${sid}/?op=deploy`, [['osystem', 'debian'], ['distro_series', 'bookworm']]);
      assert.equal(d.status, 200, d.text);
      const m = await waitStatus(api, sid!, 'Failed deployment', 600_000);
      // The BMC is on its own link (<name>-rb), so power works; the machine never gets to the installer.
      assert.match(m.status_message,
        /Timed out after 2 minutes in step 'await_installer' \(waiting for the machine to boot the deployment environment and start the installer\)/, m.status_message);
      const ev = await events(api, sid!, 30);
      assert.ok(ev.some((e) => e.level === 'ERROR' && /Timed out after 2 minutes in step/.test(e.description)), 'the timeout is an event a user can read');
      assert.equal((await api('GET', 'machines/')).json().filter((x: { system_id: string }) => x.system_id === sid).length, 1);
      process.stderr.write(`  stalled: ${m.status_message}\n`);
    } finally {
      await run('ip', ['link', 'set', cut, 'up']);
      await api('POST', 'maas/?op=set_config', [['name', 'node_timeout'], ['value', '30']]);
    }
  }, 20);
});
