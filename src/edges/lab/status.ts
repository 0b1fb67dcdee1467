/** `labStatus` and `labConsole`: read-only views of a lab from its state directory. */
import { closeSync, existsSync, fstatSync, openSync, readSync } from 'node:fs';
import { LabError } from './errors.ts';
import { listNamespaces } from './exec.ts';
import { runningPid } from './machine.ts';
import { canonicalDir } from './plan.ts';
import { isOurs } from './procs.ts';
import { pathsOf } from './qemu-args.ts';
import { readChassis, readState } from './state.ts';
import type { LabState, LabStatus } from './types.ts';

function mustRead(stateDir: string): LabState {
  const state = readState(canonicalDir(stateDir));
  if (!state) throw new LabError('not_found', `No lab in ${stateDir} (no readable state.json). Start one with \`plinth lab up\`.`);
  return state;
}

export async function labStatus(stateDir: string): Promise<LabStatus> {
  const state = mustRead(stateDir);
  const present = await listNamespaces();
  const alive = (role: string, machine?: string) =>
    state.processes.some((p) => p.role === role && p.machine === machine && isOurs(p.pid, `${state.stateDir}/`));
  return {
    name: state.name,
    stateDir: state.stateDir,
    phase: state.phase,
    accel: state.accel,
    accelReason: state.accelReason,
    rackNamespace: state.rackNamespace,
    network: state.network,
    namespaces: state.namespaces.map((name) => ({ name, present: present.includes(name) })),
    radvdRunning: alive('radvd'),
    machines: state.machines.map((m) => {
      const pid = runningPid(m);
      return {
        name: m.name,
        firmware: m.firmware,
        power: pid === null ? 'off' : 'on',
        pid,
        bootDevice: readChassis(m).bootDevice,
        macs: m.nics.map((n) => n.mac),
        bmc: { address: m.bmc.address, user: m.bmc.user, password: m.bmc.password, simulatorRunning: alive('ipmi_sim', m.name) },
        consoleLog: pathsOf(m).console,
      };
    }),
    warnings: state.warnings,
  };
}

export interface ConsoleOutput {
  path: string;
  /** The log's text (its last `maxBytes` bytes when longer; serial consoles emit ANSI escapes). */
  content: string;
  truncated: boolean;
}

/** The serial console log of machine `name` (e.g. "vm01"). */
export function labConsole(stateDir: string, name: string, maxBytes = 256 * 1024): ConsoleOutput {
  const state = mustRead(stateDir);
  const m = state.machines.find((x) => x.name === name);
  if (!m) {
    throw new LabError('not_found', `No machine "${name}" in lab ${state.name}; it has ${state.machines.map((x) => x.name).join(', ')}.`);
  }
  const path = pathsOf(m).console;
  if (!existsSync(path)) return { path, content: '', truncated: false };
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    const len = Math.min(size, maxBytes);
    const buf = Buffer.alloc(len);
    readSync(fd, buf, 0, len, size - len);
    return { path, content: buf.toString('utf8'), truncated: size > len };
  } finally {
    closeSync(fd);
  }
}
