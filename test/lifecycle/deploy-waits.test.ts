/**
 * The deploy workflow's two waits: `await_installer` (the deployment environment boots and starts the
 * installer) and `await_deployed` (the installed OS is up), so that a timeout names where the machine
 * stalled. Power goes to a BMC test double (bmc-double.ts; we have no hardware); the test stands in for
 * the machine by calling machineReported, and drives runners with `drain()` and an injected clock.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { setConfig } from '../../src/services/config.ts';
import { deploy } from '../../src/services/lifecycle/deploy.ts';
import { machineReported } from '../../src/services/lifecycle/reported.ts';
import { WorkflowRunner } from '../../src/workflows/runner.ts';
import { BACKENDS } from '../helpers/backends.ts';
import type { BmcDouble } from './bmc-double.ts';
import { readyOnBmcDouble, startLifecycleRegion, type LifecycleRegion } from './helpers.ts';

const MIN = 60_000;
const DEPLOYED = 6, DEPLOYING = 9, FAILED_DEPLOYMENT = 11;

for (const kind of BACKENDS) {
  describe(`deploy waits: installer, then the installed OS (${kind})`, () => {
    let r: LifecycleRegion;
    let admin: { id: number; username: string; isAdmin: boolean };
    const bmcs: BmcDouble[] = [];
    let n = 0;
    const deployRow = async (sid: string) => (await r.svc.db.query<{ id: number; state: string; step: number; step_name: string; data: Record<string, unknown> }>(
      "select id, state, step, step_name, data from workflows where kind = 'deploy' and node_id = (select id from nodes where system_id = $1) order by id desc limit 1", [sid]))[0];
    /** A READY machine on its own BMC double, commissioned through the services (the clock may be moved). */
    const readyMachine = () => readyOnBmcDouble(r, `dw-${kind}-${++n}`, bmcs);
    /** Deploys with node_timeout 20 and the runner drained: the machine is on, the workflow waiting. */
    const deploying = async (o: { ephemeral_deploy?: boolean } = {}) => {
      const m = await readyMachine();
      await deploy(r.svc, admin, m.sid, o);
      await r.runner.drain();
      assert.equal(m.b.state.power, 'on');
      return m;
    };

    /** Moves the clock past node_timeout: the deployment fails naming `step`, and the machine is powered off. */
    const timesOutIn = async (m: { sid: string; b: BmcDouble }, step: string, label: string) => {
      try {
        r.clock.advance(21 * MIN);
        await r.runner.drain();
        const s = await r.status(m.sid);
        assert.equal(s.status, FAILED_DEPLOYMENT);
        assert.equal(s.status_message, `Failed deployment - Timed out after 20 minutes in step '${step}' (${label}).`);
        assert.equal(m.b.state.power, 'off', 'a timed-out machine is powered off');
      } finally { r.clock.reset(); }
    };

    before(async () => {
      r = await startLifecycleRegion(kind);
      const [row] = await r.svc.db.query<{ id: number }>("select id from users where username = 'admin'");
      admin = { id: row.id, username: 'admin', isAdmin: true };
      await setConfig(r.svc, admin, 'node_timeout', '20');
    });
    after(async () => { await r?.close(); await Promise.all(bmcs.map((b) => b.stop())); });

    test('a machine that never starts the installer times out in await_installer and is powered off', async () => {
      const m = await deploying();
      assert.equal((await deployRow(m.sid)).step_name, 'await_installer');
      // A PXE request is not the installer: the machine may still stall in the boot.
      await machineReported(r.svc, m.sid, { kind: 'booting', message: 'BIOS network boot' });
      await r.runner.drain();
      assert.equal((await deployRow(m.sid)).step_name, 'await_installer');
      await timesOutIn(m, 'await_installer', 'waiting for the machine to boot the deployment environment and start the installer');
    });

    test('once the installer started, a stall times out in await_deployed', async () => {
      const m = await deploying();
      await machineReported(r.svc, m.sid, { kind: 'installing', message: 'curtin cmd-install' });
      await r.runner.drain();
      assert.equal((await deployRow(m.sid)).step_name, 'await_deployed');
      await timesOutIn(m, 'await_deployed', 'waiting for the machine to report that the installed OS is up');
    });

    test('installed (netboot off) without an earlier installing report also counts as the installer', async () => {
      const { sid } = await deploying();
      await machineReported(r.svc, sid, { kind: 'installed' });
      await r.runner.drain();
      assert.equal((await deployRow(sid)).step_name, 'await_deployed');
      await machineReported(r.svc, sid, { kind: 'deployed' });
      await r.runner.drain();
      assert.equal((await r.status(sid)).status, DEPLOYED);
    });

    test('deployed with no installer sign before it still finishes (the report is left for await_deployed)', async () => {
      const { sid } = await deploying();
      await machineReported(r.svc, sid, { kind: 'deployed' });
      await r.runner.drain();
      const m = await r.status(sid);
      assert.equal(m.status, DEPLOYED);
      assert.equal(m.netboot, false);
      // A late installer report after deployed (reports racing) does not matter either.
      const late = await deploying();
      await machineReported(r.svc, late.sid, { kind: 'deployed' });
      await machineReported(r.svc, late.sid, { kind: 'installing' });
      await r.runner.drain();
      assert.equal((await r.status(late.sid)).status, DEPLOYED);
      assert.equal((await deployRow(late.sid)).state, 'done');
    });

    test('a failure before the installer fails the deployment in await_installer', async () => {
      const { sid } = await deploying();
      await machineReported(r.svc, sid, { kind: 'failed', message: 'no boot image' });
      await r.runner.drain();
      const m = await r.status(sid);
      assert.equal(m.status, FAILED_DEPLOYMENT);
      assert.equal(m.status_message, 'Failed deployment - The machine reported a failure: no boot image');
    });

    test('ephemeral deploy reaches Deployed, with or without an installer sign; network boot stays on', async () => {
      for (const signs of [['installing'], []] as const) {
        const { sid } = await deploying({ ephemeral_deploy: true });
        for (const s of signs) await machineReported(r.svc, sid, { kind: s });
        await r.runner.drain();
        assert.equal((await deployRow(sid)).step_name, signs.length ? 'await_deployed' : 'await_installer');
        await machineReported(r.svc, sid, { kind: 'deployed' });
        await r.runner.drain();
        const m = await r.status(sid);
        assert.equal(m.status, DEPLOYED, `ephemeral, signs: ${signs.join(',') || 'none'}`);
        assert.equal(m.netboot, true, 'an ephemeral deploy keeps booting from the network');
      }
    });

    test('a region restarted between the two waits resumes at await_deployed and completes', async () => {
      const { sid } = await readyMachine();
      await deploy(r.svc, admin, sid);
      // The first region: boots the machine and sees the installer start, then stops.
      const first = new WorkflowRunner(r.svc, { leaseMs: 5000, retryDelayMs: 200, owner: 'region-a' });
      await first.drain();
      await machineReported(r.svc, sid, { kind: 'installing' });
      await first.drain();
      await first.stop();
      const saved = await deployRow(sid);
      assert.deepEqual([saved.state, saved.step_name], ['running', 'await_deployed']);
      // The region restarted: a new runner, with only what the database holds.
      await machineReported(r.svc, sid, { kind: 'deployed' });
      const second = new WorkflowRunner(r.svc, { leaseMs: 5000, retryDelayMs: 200, owner: 'region-b' });
      await second.drain();
      await second.stop();
      assert.equal((await r.status(sid)).status, DEPLOYED);
      assert.equal((await deployRow(sid)).state, 'done');
    });

    test('a deploy saved by a region without await_installer resumes at the step it named', async () => {
      // Saved by the previous definition (boot_network, power_on, await_deployed, finish) at its step 3,
      // `finish`, with the deployed report already read: the new definition's step 3 is await_deployed,
      // which would wait for a report that never comes again.
      const { sid } = await deploying();
      assert.equal(await r.status(sid).then((m) => m.status), DEPLOYING);
      await machineReported(r.svc, sid, { kind: 'deployed' });
      const w = await deployRow(sid);
      const reports = (await r.svc.db.query<{ n: number }>('select jsonb_array_length(reports) as n from workflows where id = $1', [w.id]))[0].n;
      await r.svc.db.query("update workflows set step = 3, step_name = 'finish', data = $2::jsonb where id = $1",
        [w.id, JSON.stringify({ ...w.data, report_cursor: Number(reports) })]);
      await r.runner.drain();
      assert.equal((await r.status(sid)).status, DEPLOYED);
      assert.equal((await deployRow(sid)).state, 'done');
      // And one saved in the old step 2, await_deployed, times out naming await_deployed.
      const old = await deploying();
      const o = await deployRow(old.sid);
      await r.svc.db.query("update workflows set step = 2, step_name = 'await_deployed' where id = $1", [o.id]);
      await timesOutIn(old, 'await_deployed', 'waiting for the machine to report that the installed OS is up');
    });
  });
}
