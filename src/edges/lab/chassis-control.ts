/**
 * The chassis-control program of a lab BMC. OpenIPMI's ipmi_sim runs it (its `chassis_control`
 * setting) for IPMI chassis commands, appending the operation to the configured command line:
 *
 *   chassis-control.ts <machine dir> get power boot      → prints "power:1" / "boot:pxe", one a line
 *   chassis-control.ts <machine dir> set power 1|0       → start / stop the VM
 *   chassis-control.ts <machine dir> set reset 1         → hard reset (QMP system_reset)
 *   chassis-control.ts <machine dir> set shutdown 1      → soft power-down (ACPI button, QMP)
 *   chassis-control.ts <machine dir> set boot none|pxe|default|cdrom|bios
 *   chassis-control.ts <machine dir> set identify "<seconds> <force>"
 *
 * Success prints nothing for `set` and exits 0; a failure prints the reason on stdout (ipmi_sim
 * captures it) and exits 1, which ipmi_sim turns into an IPMI error completion code. Every call is
 * appended to the machine's chassis.log.
 */
import { appendFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { LabError } from './errors.ts';
import { applyBootOrder, hardReset, powerOff, powerOn, runningPid, softShutdown } from './machine.ts';
import { pathsOf } from './qemu-args.ts';
import { readChassis, readMachine, writeChassis } from './state.ts';
import { BOOT_DEVICES, type BootDevice, type MachineSpec } from './types.ts';

export type ChassisParam = 'power' | 'boot';
export type ChassisSetting =
  | { param: 'power'; on: boolean }
  | { param: 'reset'; pulse: boolean }
  | { param: 'shutdown'; pulse: boolean }
  | { param: 'boot'; device: BootDevice }
  | { param: 'identify'; interval: number; force: boolean };
export type ChassisRequest = { op: 'get'; params: ChassisParam[] } | { op: 'set'; settings: ChassisSetting[] };

const bad = (msg: string) => new LabError('bad_option', msg);

function flag(param: string, value: string): boolean {
  if (value !== '0' && value !== '1') throw bad(`Invalid ${param} value: ${value} (want 0 or 1)`);
  return value === '1';
}

function setting(param: string, value: string): ChassisSetting {
  switch (param) {
    case 'power':
      return { param, on: flag(param, value) };
    case 'reset':
    case 'shutdown':
      return { param, pulse: flag(param, value) };
    case 'boot':
      if (!(BOOT_DEVICES as readonly string[]).includes(value)) throw bad(`Invalid boot value: ${value}`);
      return { param, device: value as BootDevice };
    case 'identify': {
      const m = /^(\d+)\s+([01])$/.exec(value.trim());
      if (!m) throw bad(`Invalid identify value: "${value}" (want "<seconds> <0|1>")`);
      return { param, interval: Number(m[1]), force: m[2] === '1' };
    }
    default:
      throw bad(`Invalid parameter: ${param}`);
  }
}

/** Parses the program's arguments (after the script path). */
export function parseChassisArgs(argv: string[]): { dir: string; req: ChassisRequest } {
  const [dir, op, ...rest] = argv;
  if (!dir) throw bad('No machine directory given');
  if (op === 'get') {
    if (rest.length === 0) throw bad('get: no parameter given');
    const params = rest.map((p) => {
      if (p !== 'power' && p !== 'boot') throw bad(`Invalid parameter: ${p}`);
      return p;
    });
    return { dir, req: { op, params } };
  }
  if (op === 'set') {
    if (rest.length === 0 || rest.length % 2 !== 0) throw bad('set: want <parameter> <value> pairs');
    const settings: ChassisSetting[] = [];
    for (let i = 0; i < rest.length; i += 2) settings.push(setting(rest[i], rest[i + 1]));
    return { dir, req: { op, settings } };
  }
  throw bad(`Unknown operation: ${op ?? '(none)'}`);
}

async function apply(m: MachineSpec, s: ChassisSetting): Promise<void> {
  switch (s.param) {
    case 'power':
      return s.on ? powerOn(m).then(() => undefined) : powerOff(m);
    case 'reset':
      return s.pulse ? hardReset(m) : undefined;
    case 'shutdown':
      return s.pulse ? softShutdown(m) : undefined;
    case 'boot': {
      writeChassis(m, { ...readChassis(m), bootDevice: s.device });
      return applyBootOrder(m, s.device);
    }
    case 'identify':
      // A VM has no chassis LED; the request is recorded so tools (and tests) can see it.
      writeChassis(m, { ...readChassis(m), identify: { interval: s.interval, force: s.force, at: new Date().toISOString() } });
      return;
  }
}

/** Runs one request; returns the text to print. */
export async function chassisControl(dir: string, req: ChassisRequest): Promise<string> {
  const m = readMachine(dir);
  if (req.op === 'get') {
    const chassis = readChassis(m);
    return req.params.map((p) => (p === 'power' ? `power:${runningPid(m) === null ? 0 : 1}` : `boot:${chassis.bootDevice}`)).join('\n');
  }
  for (const s of req.settings) await apply(m, s);
  return '';
}

async function main(argv: string[]): Promise<number> {
  const started = Date.now();
  let out = '';
  let code = 0;
  const logDir = argv[0] ? resolve(argv[0]) : null;
  try {
    const { dir, req } = parseChassisArgs(argv);
    out = await chassisControl(resolve(dir), req);
  } catch (err) {
    out = err instanceof Error ? err.message : String(err);
    code = 1;
  }
  if (out) process.stdout.write(`${out}\n`);
  if (logDir) {
    const line = `${new Date().toISOString()} ${argv.slice(1).join(' ')} -> ${code === 0 ? 'ok' : 'error'} ${out.replace(/\n/g, ' ')} (${Date.now() - started} ms)\n`;
    try {
      appendFileSync(pathsOf({ dir: logDir }).chassisLog, line);
    } catch {
      // the machine directory is gone (lab torn down); nothing to log into
    }
  }
  return code;
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  process.exitCode = await main(process.argv.slice(2));
}
