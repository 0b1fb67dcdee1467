/**
 * `down` after crashes: a QEMU killed with SIGKILL, a stale state file whose PID now belongs to an
 * unrelated process, a state file that is gone or garbage. The rack ends live in the test's own
 * namespace here (the "root namespace" case), on ranges no other test uses.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { labDown, labStatus, labUp } from '../../src/edges/lab/index.ts';
import { labSkipReason, links, namespaces, processesMentioning, processGone, sh, tempStateDir, until } from './support.ts';

const network = { provisioningCidr: '10.241.7.0/24', bmcCidr: '10.241.8.0/24' };

async function leftoversOf(stateDir: string, name: string): Promise<string[]> {
  return [
    ...(await namespaces()).filter((n) => n.startsWith(`${name}-`)).map((n) => `namespace ${n}`),
    ...(await links(null)).filter((l) => l.startsWith(`${name}-`)).map((l) => `link ${l}`),
    ...processesMentioning(`${stateDir}/`).map((p) => `process ${p}`),
  ];
}

describe('lab down after a crash', { skip: labSkipReason() }, () => {
  const dirs: string[] = [];
  const decoys: number[] = [];
  after(async () => {
    for (const d of dirs) {
      await labDown(d);
      rmSync(d, { recursive: true, force: true });
    }
    for (const pid of decoys) if (!processGone(pid)) process.kill(pid, 'SIGKILL');
  });

  it('cleans up after QEMU was killed with SIGKILL and the state file went stale', async () => {
    const stateDir = tempStateDir('crash');
    dirs.push(stateDir);
    const st = await labUp({ stateDir, machines: 1, network });
    // The rack ends are in this (the caller's) namespace.
    assert.ok((await links(null)).includes(`${st.name}-rp`));
    const bmc = st.machines[0].bmc.address;
    const on = await sh('ipmitool', ['-I', 'lanplus', '-H', bmc, '-U', 'admin', '-P', 'password', '-C', '3', 'chassis', 'power', 'on']);
    assert.match(on.out, /Up\/On/);
    const qemu = (await labStatus(stateDir)).machines[0].pid ?? 0;
    assert.ok(qemu > 0);
    process.kill(qemu, 'SIGKILL');
    assert.ok(await until(() => processGone(qemu), 5000));

    // A stale record: the radvd PID in the state file now names an unrelated process.
    const decoy = spawn('sleep', ['120'], { stdio: 'ignore' });
    decoys.push(decoy.pid as number);
    const path = join(stateDir, 'state.json');
    const state = JSON.parse(readFileSync(path, 'utf8')) as { phase: string; processes: Array<{ role: string; pid: number }> };
    for (const p of state.processes) if (p.role === 'radvd') p.pid = decoy.pid as number;
    state.phase = 'building';
    writeFileSync(path, JSON.stringify(state));

    const report = await labDown(stateDir);
    assert.deepEqual(report.leftovers, []);
    assert.deepEqual([...report.linksRemoved].sort(), [`${st.name}-rb`, `${st.name}-rp`]);
    assert.deepEqual([...report.namespacesRemoved].sort(), [`${st.name}-bmc`, `${st.name}-prov`]);
    assert.deepEqual(await leftoversOf(stateDir, st.name), []);
    assert.equal(processGone(decoy.pid as number), false, 'down must not kill a process that merely reuses a recorded PID');

    const again = await labDown(stateDir);
    assert.deepEqual([again.stopped, again.namespacesRemoved, again.linksRemoved, again.leftovers], [[], [], [], []]);
  });

  it('finds a lab by its name prefix and path when the state file is garbage', async () => {
    const stateDir = tempStateDir('garbage');
    dirs.push(stateDir);
    const st = await labUp({ stateDir, machines: 2, network, powerOn: true });
    assert.deepEqual(st.machines.map((m) => m.power), ['on', 'on']);
    writeFileSync(join(stateDir, 'state.json'), '{"version": 1, "na');
    const report = await labDown(stateDir, { keepFiles: true });
    assert.deepEqual(report.leftovers, []);
    assert.ok(report.stopped.length >= 5, `expected radvd, two ipmi_sim and two QEMU stopped, got ${report.stopped.join(',')}`);
    assert.deepEqual(await leftoversOf(stateDir, st.name), []);
  });

  it('refuses a second up while a lab runs, and starts over after a crash left only a state file', async () => {
    const stateDir = tempStateDir('twice');
    dirs.push(stateDir);
    const st = await labUp({ stateDir, machines: 1, network });
    await assert.rejects(labUp({ stateDir, machines: 1, network }), { name: 'LabError', code: 'already_up' });
    await labDown(stateDir, { keepFiles: true }); // leaves a state file, as a crash after teardown would
    const again = await labUp({ stateDir, machines: 1, network });
    assert.equal(again.name, st.name);
    assert.equal(again.machines[0].bmc.simulatorRunning, true);
  });
});

describe('lab up that cannot finish', { skip: labSkipReason() }, () => {
  const rackNs = `plabtest-${process.pid}-fail`;
  const dirs: string[] = [];
  after(async () => {
    for (const d of dirs) {
      await labDown(d);
      rmSync(d, { recursive: true, force: true });
    }
    await sh('ip', ['netns', 'del', rackNs]);
  });

  it('refuses ranges the rack namespace already uses, touching nothing', async () => {
    await sh('ip', ['netns', 'add', rackNs]);
    await sh('ip', ['-n', rackNs, 'link', 'add', 'busy0', 'type', 'veth', 'peer', 'name', 'busy1']);
    await sh('ip', ['-n', rackNs, 'addr', 'add', '10.243.0.5/16', 'dev', 'busy0']);
    const stateDir = tempStateDir('overlap');
    dirs.push(stateDir);
    await assert.rejects(
      labUp({ stateDir, name: 'plovl', rackNamespace: rackNs, network: { provisioningCidr: '10.243.1.0/24', bmcCidr: '10.244.0.0/24' } }),
      (e: Error & { code?: string }) => e.code === 'bad_option' && /overlaps 10\.243\.0\.5\/16 \(address on busy0\)/.test(e.message),
    );
    assert.deepEqual((await namespaces()).filter((n) => n.startsWith('plovl-')), []);
  });

  it('refuses to start over links of the caller that carry the lab\'s names, and keeps them', async () => {
    await sh('ip', ['-n', rackNs, 'link', 'add', 'plname-rp', 'type', 'veth', 'peer', 'name', 'plname-x']);
    const stateDir = tempStateDir('names');
    dirs.push(stateDir);
    await assert.rejects(
      labUp({ stateDir, name: 'plname', rackNamespace: rackNs, network: { provisioningCidr: '10.245.1.0/24', bmcCidr: '10.245.2.0/24' } }),
      (e: Error & { code?: string }) => e.code === 'bad_option' && /plname-rp/.test(e.message),
    );
    await labDown(stateDir);
    assert.ok((await links(rackNs)).includes('plname-rp'), 'the caller\'s own link must survive');
  });

  it('tears down what it built when a step fails half-way', async () => {
    // A plain file where the machines' directory belongs makes `up` fail after the namespaces,
    // bridges, uplinks and radvd exist.
    const stateDir = tempStateDir('half');
    dirs.push(stateDir);
    writeFileSync(join(stateDir, 'vms'), 'not a directory');
    await assert.rejects(
      labUp({ stateDir, name: 'plhalf', rackNamespace: rackNs, network: { provisioningCidr: '10.245.1.0/24', bmcCidr: '10.245.2.0/24' } }),
      (e: Error & { code?: string }) => e.code === 'command_failed' && /rolled back/.test(e.message),
    );
    assert.deepEqual((await namespaces()).filter((n) => n.startsWith('plhalf-')), []);
    assert.deepEqual((await links(rackNs)).filter((l) => l.startsWith('plhalf-')), []);
    assert.deepEqual(processesMentioning(`${stateDir}/`), []);
  });
});
