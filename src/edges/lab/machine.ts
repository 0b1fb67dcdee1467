/**
 * A lab machine's power and boot device, by PID and QMP. Used by the chassis-control program (which
 * ipmi_sim runs for every IPMI chassis command) and by `down`/`status`.
 *
 * Power on: QEMU starts paused (-S) and daemonized in the BMC namespace, where its IPMI chardev
 * reaches the machine's ipmi_sim on 127.0.0.1; its tap devices are then moved into the provisioning
 * namespace and enslaved to the bridge (a tap keeps working across namespaces — QEMU holds the file
 * descriptor, not the name), and only then does the guest run (QMP `cont`). So the first DHCP packet
 * can never go out before the tap is on the bridge.
 */
import { rmSync } from 'node:fs';
import { bridgeCmd, ipBatch, programPath, run } from './exec.ts';
import { LabError } from './errors.ts';
import { isAlive, isOurs, terminate, waitFor } from './procs.ts';
import { qmpRun } from './qmp.ts';
import { bootDeviceIds, bootOrder, pathsOf, qemuArgs } from './qemu-args.ts';
import { readChassis, readQemuPid } from './state.ts';
import type { BootDevice, MachineSpec } from './types.ts';

/** The PID of the machine's running QEMU, or null (checked against its QMP path: PIDs get reused). */
export function runningPid(m: MachineSpec): number | null {
  const pid = readQemuPid(m);
  return pid !== null && isOurs(pid, pathsOf(m).qmp) ? pid : null;
}

function forgetRun(m: MachineSpec): void {
  const p = pathsOf(m);
  rmSync(p.pid, { force: true });
  rmSync(p.qmp, { force: true });
}

async function attachTaps(m: MachineSpec): Promise<void> {
  const { bmc, provisioning } = m.namespaces;
  await ipBatch(bmc, m.nics.map((n) => `link set dev ${n.tap} netns ${provisioning}`));
  await ipBatch(provisioning, m.nics.map((n) => `link set dev ${n.tap} master ${m.bridge}`));
  for (const n of m.nics) {
    if (n.vlan === null) continue;
    // An access port of the VLAN (IEEE 802.1Q): frames leave it untagged, enter it tagged with the VID.
    await bridgeCmd(provisioning, ['vlan', 'add', 'dev', n.tap, 'vid', String(n.vlan), 'pvid', 'untagged']);
    await bridgeCmd(provisioning, ['vlan', 'del', 'dev', n.tap, 'vid', '1']);
  }
  await ipBatch(provisioning, m.nics.map((n) => `link set dev ${n.tap} up`));
}

export async function powerOn(m: MachineSpec): Promise<number> {
  const running = runningPid(m);
  if (running !== null) return running;
  forgetRun(m);
  const p = pathsOf(m);
  const boot = readChassis(m).bootDevice;
  const args = [...qemuArgs(m, boot), '-S', '-daemonize', '-pidfile', p.pid, '-D', p.qemuLog];
  // `ip netns exec` execs QEMU, and -daemonize returns once QEMU has initialised (taps, sockets).
  await run('ip', ['netns', 'exec', m.namespaces.bmc, programPath('qemu-system-x86_64'), ...args], { timeoutMs: 30_000 });
  const pid = readQemuPid(m);
  if (pid === null) throw new LabError('command_failed', `${m.name}: QEMU started but wrote no PID file (see ${p.qemuLog}).`);
  try {
    await attachTaps(m);
    await qmpRun(p.qmp, [['cont']]);
  } catch (err) {
    await terminate(pid, 500);
    forgetRun(m);
    throw err;
  }
  return pid;
}

/** Hard power-off: QMP `quit` (QEMU exits at once), SIGTERM/SIGKILL if it does not. */
export async function powerOff(m: MachineSpec): Promise<void> {
  const pid = runningPid(m);
  if (pid !== null) {
    try {
      await qmpRun(pathsOf(m).qmp, [['quit']], 2000);
    } catch {
      // QMP unresponsive: the signals below do it
    }
    if (!(await waitFor(() => !isAlive(pid), 3000))) await terminate(pid, 1000);
  }
  forgetRun(m);
}

/** Soft power-down: an ACPI power-button press; the guest decides (firmware ignores it). */
export async function softShutdown(m: MachineSpec): Promise<void> {
  if (runningPid(m) === null) return;
  await qmpRun(pathsOf(m).qmp, [['system_powerdown']]);
}

/** Rewrites the live machine's boot indexes; the firmware reads the new order at the next reset. */
export async function applyBootOrder(m: MachineSpec, device: BootDevice): Promise<void> {
  if (runningPid(m) === null) return;
  const order = bootOrder(device, m);
  const path = (id: string) => `/machine/peripheral/${id}`;
  // Boot indexes must stay unique at every step, so clear all of them first.
  const cmds: Array<[string, Record<string, unknown>]> = bootDeviceIds(m).map((id) => ['qom-set', { path: path(id), property: 'bootindex', value: -1 }]);
  for (const [id, index] of Object.entries(order)) cmds.push(['qom-set', { path: path(id), property: 'bootindex', value: index }]);
  await qmpRun(pathsOf(m).qmp, cmds);
}

/** Hard reset (the reset line): boots again with the current boot device. */
export async function hardReset(m: MachineSpec): Promise<void> {
  if (runningPid(m) === null) throw new LabError('command_failed', `${m.name} is powered off; a reset needs a running machine.`);
  await applyBootOrder(m, readChassis(m).bootDevice);
  await qmpRun(pathsOf(m).qmp, [['system_reset']]);
}
