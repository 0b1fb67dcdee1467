/**
 * Files in the state directory. `state.json` is the lab's journal (rewritten before every step of
 * `up`, so a crash leaves a record of what exists); each machine has `machine.json` (its spec) and
 * `chassis.json` (boot device etc., kept by the chassis-control program). Writes are atomic
 * (temporary file + rename) so a reader never sees half a file.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { pathsOf } from './qemu-args.ts';
import { BOOT_DEVICES, type ChassisState, type LabState, type MachineSpec } from './types.ts';

export const stateFile = (stateDir: string) => join(stateDir, 'state.json');

export function writeJson(path: string, value: unknown): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(value, null, 2)}\n`);
  renameSync(tmp, path);
}

function readJson(path: string): unknown {
  return JSON.parse(readFileSync(path, 'utf8')) as unknown;
}

/** The lab's state, or null if there is none or it cannot be read (a crash mid-write, hand edits). */
export function readState(stateDir: string): LabState | null {
  const path = stateFile(stateDir);
  if (!existsSync(path)) return null;
  try {
    const s = readJson(path) as LabState;
    return s && s.version === 1 && typeof s.name === 'string' ? s : null;
  } catch {
    return null;
  }
}

export function writeState(state: LabState): void {
  writeJson(stateFile(state.stateDir), state);
}

export function readMachine(dir: string): MachineSpec {
  return readJson(join(dir, 'machine.json')) as MachineSpec;
}

export function writeMachine(m: MachineSpec): void {
  writeJson(pathsOf(m).spec, m);
}

const FRESH_CHASSIS: ChassisState = { bootDevice: 'none', identify: null };

export function readChassis(m: Pick<MachineSpec, 'dir'>): ChassisState {
  try {
    const c = readJson(pathsOf(m).chassis) as ChassisState;
    return BOOT_DEVICES.includes(c.bootDevice) ? c : { ...FRESH_CHASSIS };
  } catch {
    return { ...FRESH_CHASSIS };
  }
}

export function writeChassis(m: Pick<MachineSpec, 'dir'>, c: ChassisState): void {
  writeJson(pathsOf(m).chassis, c);
}

/** The QEMU PID recorded by `-pidfile`, or null. */
export function readQemuPid(m: Pick<MachineSpec, 'dir'>): number | null {
  try {
    const pid = Number(readFileSync(pathsOf(m).pid, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}
