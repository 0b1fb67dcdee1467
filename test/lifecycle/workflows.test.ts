/**
 * The lifecycle workflows end to end in one region, on both stores: power goes through the power port to
 * a BMC test double (bmc-double.ts; we have no hardware), and the test stands in for the machine by
 * calling machineReported (what the metadata service will do). The runner is driven with `drain()` and
 * an injected clock, so timeouts take no real time.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { setConfig } from '../../src/services/config.ts';
import { deploy } from '../../src/services/lifecycle/deploy.ts';
import { machineReported } from '../../src/services/lifecycle/reported.ts';
import { WorkflowRunner } from '../../src/workflows/runner.ts';
import { BACKENDS } from '../helpers/backends.ts';
import { startBmcDouble, type BmcDouble } from './bmc-double.ts';
import { newMachine, readyOnBmcDouble, startLifecycleRegion, type LifecycleRegion } from './helpers.ts';

const MIN = 60_000;

for (const kind of BACKENDS) {
  describe(`lifecycle workflows (${kind})`, () => {
    let r: LifecycleRegion;
    const bmcs: BmcDouble[] = [];
    const bmc = async () => { const b = await startBmcDouble(); bmcs.push(b); return b; };
    const events = async (sid: string, n = 50) =>
      (await r.api('GET', `events/?op=query&id=${sid}&limit=${n}`)).json().events.map((e: { type: string; description: string }) => `${e.type}: ${e.description}`) as string[];
    const workflows = (sid: string) => r.svc.db.query<{ kind: string; state: string; error: string; claims: number }>(
      'select kind, state, error, claims from workflows where node_id = (select id from nodes where system_id = $1) order by id', [sid]);
    /** A READY machine with webhook power on its own BMC double. */
    const readyMachine = (name: string) => readyOnBmcDouble(r, name, bmcs);

    before(async () => { r = await startLifecycleRegion(kind); });
    after(async () => { await r?.close(); await Promise.all(bmcs.map((b) => b.stop())); });

    test('create with usable power commissions at once: boot, wait for results, power off → Ready', async () => {
      const b = await bmc();
      const res = await r.api('POST', 'machines/', newMachine(`wf-${kind}-1`, b.fields()));
      assert.equal(res.status, 200, res.text);
      assert.equal(res.json().status_name, 'Commissioning');
      const sid = r.sid(res);
      await r.runner.drain();
      assert.equal(b.state.power, 'on');
      assert.equal((await r.status(sid)).status, 1, 'still commissioning: waiting for the machine');
      await machineReported(r.svc, sid, { kind: 'commissioning_done' });
      await r.runner.drain();
      const m = await r.status(sid);
      assert.equal(m.status, 4);
      assert.equal(m.power_state, 'off');
      assert.equal(b.state.power, 'off');
      assert.equal(m.status_message, 'Ready - Commissioning finished');
      assert.deepEqual((await workflows(sid)).map((w) => [w.kind, w.state]), [['commission', 'done']]);
      // Every power action leaves an event with the workflow, step and who started it (this BMC double
      // has no boot-device control, so there is no boot-device event here).
      const power = (await events(sid)).filter((e) => e.startsWith('Power: ')).reverse();
      assert.deepEqual(power.map((e) => e.replace(/ \(workflow.*$/, '')), ['Power: Power on done; power is on', 'Power: Power off done; power is off']);
      assert.match(power[0], /workflow commission, step \w+, started by admin/);
      // commission=false keeps a new machine NEW.
      const b2 = await bmc();
      const kept = await r.api('POST', 'machines/', newMachine(`wf-${kind}-1b`, [...b2.fields(), ['commission', 'false']]));
      assert.equal(kept.json().status_name, 'New');
    });

    test('commissioning with tests: COMMISSIONING → TESTING → Ready; a failed test → Failed testing', async () => {
      const b = await bmc();
      const sid = r.sid(await r.api('POST', 'machines/', newMachine(`wf-${kind}-2`, [...b.fields(), ['commission', 'false']])));
      const res = await r.api('POST', `machines/${sid}/?op=commission`, [['testing_scripts', 'smartctl-validate'], ['enable_ssh', '1']]);
      assert.equal(res.status, 200, res.text);
      await r.runner.drain();
      await machineReported(r.svc, sid, { kind: 'commissioning_done' });
      await r.runner.drain();
      assert.equal((await r.status(sid)).status, 21);
      await machineReported(r.svc, sid, { kind: 'failed', message: 'smartctl-validate failed on /dev/sda' });
      await r.runner.drain();
      const m = await r.status(sid);
      assert.equal(m.status, 22);
      assert.match(m.status_message!, /^Failed testing - The machine reported a failure: smartctl-validate failed/);
      const over = await r.api('POST', `machines/${sid}/?op=override_failed_testing`);
      assert.equal(over.json().status_name, 'Ready');
    });

    test('deploy from Ready: allocate, power on, installed → netboot off, deployed → Deployed; release with erase → Ready', async () => {
      const { sid, b } = await readyMachine(`wf-${kind}-3`);
      // An AUTO link: deployment claims its address, release gives it back.
      const iface = (await r.api('GET', `machines/${sid}/`)).json().interface_set[0];
      const sn = await r.api('POST', 'subnets/', [['cidr', '10.77.0.0/24'], ['vlan', String(iface.vlan.id)]]);
      assert.equal(sn.status, 200, sn.text);
      const linked = await r.api('POST', `nodes/${sid}/interfaces/${iface.id}/?op=link_subnet`, [['mode', 'AUTO'], ['subnet', String(sn.json().id)]]);
      assert.equal(linked.status, 200, linked.text);
      const autoIp = async () => (await r.api('GET', `machines/${sid}/`)).json().interface_set[0].links[0].ip_address as string | undefined;
      assert.equal(await autoIp(), undefined);
      const res = await r.api('POST', `machines/${sid}/?op=deploy`, [['osystem', 'debian'], ['distro_series', 'bookworm']], r.userKey);
      assert.equal(res.status, 200, res.text);
      assert.equal(res.json().owner, 'alice');
      assert.match((await autoIp()) ?? '', /^10\.77\.0\.\d+$/, 'deployment claimed the AUTO address');
      await r.runner.drain();
      assert.equal(b.state.power, 'on');
      await machineReported(r.svc, sid, { kind: 'installed' });
      assert.equal((await r.status(sid)).netboot, false, 'the installer turned network boot off');
      await machineReported(r.svc, sid, { kind: 'deployed' });
      await r.runner.drain();
      assert.equal((await r.status(sid)).status, 6);
      // A report that means nothing now is refused with MAAS's signal text.
      await assert.rejects(machineReported(r.svc, sid, { kind: 'erased' }), /Machine status isn't valid \(status is Deployed\)/);

      const rel = await r.api('POST', `machines/${sid}/?op=release`, [['erase', 'true'], ['quick_erase', 'true']], r.userKey);
      assert.equal(rel.json().status_name, 'Disk erasing');
      await r.runner.drain();
      await machineReported(r.svc, sid, { kind: 'erased' });
      await r.runner.drain();
      const m = await r.status(sid);
      assert.equal(m.status, 4);
      assert.equal(m.owner, null);
      assert.equal(b.state.power, 'off');
      const machine = (await r.api('GET', `machines/${sid}/`)).json();
      assert.equal(machine.osystem, '');
      assert.equal(machine.netboot, true);
      assert.equal(await autoIp(), undefined, 'release returned the AUTO address');
    });

    test('rescue mode from Deployed and back: the machine returns to Deployed', async () => {
      const { sid, b } = await readyMachine(`wf-${kind}-4`);
      await r.api('POST', `machines/${sid}/?op=deploy`);
      await r.runner.drain();
      await machineReported(r.svc, sid, { kind: 'deployed' });
      await r.runner.drain();
      assert.equal((await r.api('POST', `machines/${sid}/?op=rescue_mode`)).json().status_name, 'Entering rescue mode');
      await r.runner.drain();
      await machineReported(r.svc, sid, { kind: 'rescue_ready' });
      await r.runner.drain();
      assert.equal((await r.status(sid)).status, 16);
      assert.equal((await r.api('POST', `machines/${sid}/?op=exit_rescue_mode`)).json().status_name, 'Exiting rescue mode');
      await r.runner.drain();
      assert.equal((await r.status(sid)).status, 6);
      assert.equal(b.state.power, 'on', 'a deployed machine is booted back into its OS');
    });

    test('testing a Deployed machine: it boots its disk again after passing; after failing, override returns it to Deployed', async () => {
      const { sid, b } = await readyMachine(`wf-${kind}-11`);
      await r.api('POST', `machines/${sid}/?op=deploy`);
      await r.runner.drain();
      await machineReported(r.svc, sid, { kind: 'deployed' });
      await r.runner.drain();
      assert.equal((await r.api('POST', `machines/${sid}/?op=test`, [['testing_scripts', 'memtester']])).json().status_name, 'Testing');
      await r.runner.drain();
      await machineReported(r.svc, sid, { kind: 'testing_done' });
      await r.runner.drain();
      assert.equal((await r.status(sid)).status, 6);
      assert.equal(b.state.power, 'on');
      await r.api('POST', `machines/${sid}/?op=test`);
      await r.runner.drain();
      await machineReported(r.svc, sid, { kind: 'failed', message: 'memtester: bad DIMM' });
      await r.runner.drain();
      assert.equal((await r.status(sid)).status, 22);
      assert.equal((await r.api('POST', `machines/${sid}/?op=override_failed_testing`)).json().status_name, 'Deployed');
    });

    test('manual power: events ask for a person, the workflow waits for the machine itself', async () => {
      const sid = r.sid(await r.api('POST', 'machines/', newMachine(`wf-${kind}-5`, [['power_type', 'manual']])));
      assert.equal((await r.status(sid)).status, 1, 'manual counts as usable power: commissioning starts');
      await r.runner.drain();
      assert.ok((await events(sid)).some((e) => /^Waiting for the machine: .*power on it by hand/.test(e)), (await events(sid)).join('\n'));
      assert.equal((await r.status(sid)).status, 1);
      await machineReported(r.svc, sid, { kind: 'commissioning_done' });
      await r.runner.drain();
      assert.equal((await r.status(sid)).status, 4);
    });

    test('abort commissioning → New, the workflow cancelled, the machine powered off', async () => {
      const b = await bmc();
      const sid = r.sid(await r.api('POST', 'machines/', newMachine(`wf-${kind}-6`, b.fields())));
      await r.runner.drain();
      assert.equal(b.state.power, 'on');
      const res = await r.api('POST', `machines/${sid}/?op=abort`, [['comment', 'wrong rack']]);
      assert.equal(res.json().status_name, 'New');
      assert.equal(res.json().status_message, 'Aborted commissioning - wrong rack (by admin)');
      await r.runner.drain();
      assert.equal(b.state.power, 'off');
      assert.deepEqual((await workflows(sid)).map((w) => [w.kind, w.state]), [['commission', 'cancelled'], ['power_off', 'done']]);
      // A late report from the machine changes nothing.
      await assert.rejects(machineReported(r.svc, sid, { kind: 'commissioning_done' }), /status isn't valid/);
    });

    test('timeout: a deployment that never reports fails after node_timeout, naming the stalled step', async () => {
      // The clock moves: from here on the test talks to the services, not the (OAuth-timestamped) API.
      const admin = { id: 1, username: 'admin', isAdmin: true };
      [admin.id] = (await r.svc.db.query<{ id: number }>("select id from users where username = 'admin'")).map((u) => u.id);
      const { sid, b } = await readyMachine(`wf-${kind}-7`);
      await setConfig(r.svc, admin, 'node_timeout', '20');
      try {
        await deploy(r.svc, admin, sid);
        await r.runner.drain();
        r.clock.advance(19 * MIN);
        await r.runner.drain();
        assert.equal((await r.status(sid)).status, 9, 'not yet');
        await machineReported(r.svc, sid, { kind: 'installing' }); // progress: a fresh 20 minutes
        r.clock.advance(19 * MIN);
        await r.runner.drain();
        assert.equal((await r.status(sid)).status, 9, 'progress reset the timeout');
        r.clock.advance(2 * MIN);
        await r.runner.drain();
        const m = await r.status(sid);
        assert.equal(m.status, 11);
        assert.equal(m.status_message,
          "Failed deployment - Timed out after 20 minutes in step 'await_deployed' (waiting for the machine to report that the installed OS is up).");
        assert.equal(b.state.power, 'off', 'a timed-out machine is powered off');
      } finally {
        await setConfig(r.svc, admin, 'node_timeout', '30');
        r.clock.reset();
      }
    });

    test('timeout: releasing has 5 minutes; an unreachable BMC is retried until then, and the step is named', async () => {
      const { sid, b } = await readyMachine(`wf-${kind}-8`);
      await r.api('POST', `machines/${sid}/?op=deploy`);
      await r.runner.drain();
      await machineReported(r.svc, sid, { kind: 'deployed' });
      await r.runner.drain();
      b.failWith = 503;
      await r.api('POST', `machines/${sid}/?op=release`, [['erase', 'false']]);
      await r.runner.drain();
      assert.equal((await r.status(sid)).status, 12);
      assert.ok((await events(sid)).some((e) => e.startsWith('Power problem: Failed to power off the machine')));
      r.clock.advance(6 * MIN);
      try {
        await r.runner.drain();
        const m = await r.status(sid);
        assert.equal(m.status, 13);
        assert.equal(m.status_message, "Releasing failed - Timed out after 5 minutes in step 'power_off' (powering the machine off).");
      } finally {
        r.clock.reset();
        b.failWith = 0;
      }
    });

    test('a BMC that refuses the credentials fails the deployment at once', async () => {
      const { sid, b } = await readyMachine(`wf-${kind}-9`);
      b.failWith = 401;
      await r.api('POST', `machines/${sid}/?op=deploy`);
      await r.runner.drain();
      const m = await r.status(sid);
      assert.equal(m.status, 11);
      assert.match(m.status_message!, /^Failed deployment - Failed to power on the machine: .*refused the credentials/);
      b.failWith = 0;
    });

    test('a runner stopping in the middle of a power command gives the workflow back; another runner finishes it', async () => {
      const { sid, b } = await readyMachine(`wf-${kind}-12`);
      b.holdOn = true;
      await r.api('POST', `machines/${sid}/?op=deploy`);
      const leaving = new WorkflowRunner(r.svc, { leaseMs: 60_000 });
      for (let i = 0; b.state.on < 2; i++) {
        assert.ok(i < 500, 'the power-on command reaches the BMC');
        await leaving.tick(); // step by step, up to the power-on command that hangs
        await new Promise((res) => setTimeout(res, 10));
      }
      await leaving.stop();
      const [w] = await r.svc.db.query<{ state: string; step: number; owner: string | null }>(
        "select state, step, owner from workflows where kind = 'deploy' and node_id = (select id from nodes where system_id = $1)", [sid]);
      assert.deepEqual(w, { state: 'running', step: 1, owner: null }, 'given back, not failed');
      assert.equal((await r.status(sid)).status, 9);
      b.holdOn = false;
      await r.runner.drain();
      await machineReported(r.svc, sid, { kind: 'deployed' });
      await r.runner.drain();
      assert.equal((await r.status(sid)).status, 6);
    });

    test('power_on / power_off / query_power_state through the port', async () => {
      const { sid, b } = await readyMachine(`wf-${kind}-10`);
      await r.api('POST', `machines/${sid}/?op=deploy`);
      await r.runner.drain();
      await machineReported(r.svc, sid, { kind: 'deployed' });
      await r.runner.drain();
      assert.equal((await r.api('POST', `machines/${sid}/?op=power_off`, [['stop_mode', 'soft']])).status, 200);
      await r.runner.drain();
      assert.equal(b.state.power, 'off');
      assert.deepEqual((await r.api('GET', `machines/${sid}/?op=query_power_state`)).json(), { state: 'off' });
      b.state.power = 'on';
      assert.deepEqual((await r.api('GET', `machines/${sid}/?op=query_power_state`)).json(), { state: 'on' });
      assert.equal((await r.api('GET', `machines/${sid}/`)).json().power_state, 'on');
      b.state.power = 'off';
      await r.api('POST', `machines/${sid}/?op=power_on`);
      await r.runner.drain();
      assert.equal(b.state.power, 'on');
      b.failWith = 500;
      const q = await r.api('GET', `machines/${sid}/?op=query_power_state`);
      assert.equal(q.status, 503);
      assert.match(q.text, /^Unable to query power state: /);
      b.failWith = 0;
    });
  });
}
