/**
 * `labUp`: prerequisites → plan → accelerator → networks → radvd → disks and firmware variables →
 * one ipmi_sim per machine. Machines start powered off (power them on through their BMCs, as a
 * provisioning system does) unless `powerOn` is set. Any failure tears down what was built.
 */
import { copyFileSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { chooseAccel, DEFAULT_ACCEL_CACHE } from './accel.ts';
import { bundleChassisControl, startBmc } from './bmc.ts';
import { labDown } from './down.ts';
import { LabError } from './errors.ts';
import { listNamespaces, run } from './exec.ts';
import { powerOn } from './machine.ts';
import { buildNetwork, checkHostNetworks, checkLinkNames, startRadvd, vlanSupport } from './network.ts';
import { canonicalDir, labNameFor, OVMF_VARS, parseOptions, planMachine, planNetwork } from './plan.ts';
import { checkPrerequisites, present, RADVD } from './prereqs.ts';
import { readState, writeChassis, writeMachine, writeState } from './state.ts';
import { labStatus } from './status.ts';
import type { LabState, LabStatus, LabUpOptions, MachineSpec } from './types.ts';

export interface LabUpExtras {
  /** Power every machine on once the lab is built (default false). */
  powerOn?: boolean;
}

async function refuseIfRunning(stateDir: string, name: string): Promise<void> {
  const prior = readState(stateDir);
  const live = (await listNamespaces()).filter((n) => n.startsWith(`${name}-`) || (prior?.namespaces ?? []).includes(n));
  if (live.length > 0) {
    throw new LabError(
      'already_up',
      `A lab is already up for ${stateDir} (namespaces ${live.join(', ')}). Run \`plinth lab down\` first; it also cleans up after a crash.`,
    );
  }
  // A state file without live namespaces is what a crash leaves: clear its remains.
  if (prior) await labDown(stateDir);
}

async function prepareMachine(m: MachineSpec): Promise<void> {
  rmSync(m.dir, { recursive: true, force: true });
  mkdirSync(m.dir, { recursive: true });
  for (const d of m.disks) await run('qemu-img', ['create', '-q', '-f', 'qcow2', d.path, `${d.sizeMiB}M`]);
  if (m.uefi) copyFileSync(OVMF_VARS, m.uefi.vars);
  writeMachine(m);
  writeChassis(m, { bootDevice: 'none', identify: null });
}

export async function labUp(opts: LabUpOptions & LabUpExtras): Promise<LabStatus> {
  const { powerOn: startAll, ...rest } = opts;
  const pre = checkPrerequisites();
  const settings = parseOptions(rest);
  mkdirSync(settings.stateDir, { recursive: true });
  const stateDir = canonicalDir(settings.stateDir);
  const name = settings.name ?? labNameFor(stateDir);
  await refuseIfRunning(stateDir, name);

  const network = planNetwork(settings, name);
  const rackNamespace = settings.rackNamespace ?? null;
  await checkHostNetworks(rackNamespace, network);
  await checkLinkNames(rackNamespace, name);
  if (network.vlan && !(await vlanSupport(`${name}-probe`))) {
    throw new LabError(
      'bad_option',
      'network.vlan: this kernel cannot build a tagged VLAN — it lacks 802.1Q VLAN devices or bridge VLAN filtering ' +
        '(CONFIG_VLAN_8021Q, CONFIG_BRIDGE_VLAN_FILTERING). Leave out network.vlan, or use a kernel that has them.',
    );
  }
  const { accel, reason } = await chooseAccel(settings.accel, settings.accelCacheFile ?? DEFAULT_ACCEL_CACHE);
  const machines = Array.from({ length: settings.machines }, (_, i) => planMachine(settings, name, stateDir, network, i + 1, accel));
  const warnings = [...pre.warnings];
  if (accel === 'tcg') warnings.push(`No usable KVM — ${reason}.`);

  rmSync(join(stateDir, 'net'), { recursive: true, force: true });
  mkdirSync(join(stateDir, 'net'), { recursive: true });
  const state: LabState = {
    version: 1,
    name,
    stateDir,
    phase: 'building',
    createdAt: new Date().toISOString(),
    accel,
    accelReason: reason,
    rackNamespace,
    ownsRackNamespace: false,
    namespaces: [],
    links: [],
    processes: [],
    network,
    machines,
    warnings,
  };
  writeState(state);
  try {
    await buildNetwork(state);
    if (present(RADVD)) await startRadvd(state);
    for (const m of machines) await prepareMachine(m);
    const chassisBundle = bundleChassisControl(join(stateDir, 'net'));
    if (!chassisBundle) warnings.push('chassis-control runs through tsx (no esbuild in node_modules): BMCs answer more slowly under load');
    const pids = await Promise.all(machines.map((m) => startBmc(m, chassisBundle)));
    machines.forEach((m, i) => state.processes.push({ role: 'ipmi_sim', machine: m.name, pid: pids[i] }));
    state.phase = 'up';
    writeState(state);
    if (startAll) for (const m of machines) await powerOn(m);
  } catch (err) {
    await labDown(stateDir, { keepFiles: true });
    if (err instanceof LabError) throw err;
    throw new LabError('command_failed', `lab up failed and was rolled back: ${err instanceof Error ? err.message : String(err)}`);
  }
  return labStatus(stateDir);
}
