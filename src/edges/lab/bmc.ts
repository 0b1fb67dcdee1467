/**
 * One emulated BMC per machine: OpenIPMI's `ipmi_sim` serving IPMI over LAN (RMCP/RMCP+, UDP 623)
 * at the machine's BMC address inside the BMC namespace. Its chassis commands (power, reset, boot
 * device) run our chassis-control program; its VM-codec serial listener on 127.0.0.1 in the same
 * namespace is where QEMU's ipmi-bmc-extern device connects, giving the guest an in-band BMC.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LabError } from './errors.ts';
import { nsExec, programPath } from './exec.ts';
import { checkShellSafe } from './plan.ts';
import { isAlive, spawnDaemon, waitFor } from './procs.ts';
import { pathsOf } from './qemu-args.ts';
import type { MachineSpec } from './types.ts';

/**
 * The command line ipmi_sim runs (through /bin/sh) for chassis control, before its arguments: the
 * bundled program when there is one (plain node), else the TypeScript source through tsx.
 */
export function chassisCommand(m: Pick<MachineSpec, 'dir'>, bundle?: string): string {
  if (bundle) {
    for (const [what, path] of [['node', process.execPath], ['chassis-control bundle', bundle], ['machine directory', m.dir]]) checkShellSafe(path, what);
    return `${process.execPath} ${bundle} ${m.dir}`;
  }
  const script = fileURLToPath(new URL('./chassis-control.ts', import.meta.url));
  const tsx = fileURLToPath(import.meta.resolve('tsx/esm'));
  for (const [what, path] of [['node', process.execPath], ['tsx', tsx], ['chassis-control', script], ['machine directory', m.dir]]) {
    checkShellSafe(path, what);
  }
  return `${process.execPath} --import ${tsx} ${script} ${m.dir}`;
}

/**
 * chassis-control bundled into one plain JavaScript file with esbuild (when the checkout has it), so
 * each chassis command costs a node start (~0.1 s) instead of node + tsx compiling the sources
 * (~0.4 s). ipmi_sim waits for the program while it serves nothing else: under load (several
 * emulated machines on two cores) the slower start left BMCs unanswered for minutes.
 * Returns the bundle's path, or undefined to fall back to tsx.
 */
export function bundleChassisControl(outDir: string): string | undefined {
  const source = fileURLToPath(new URL('./chassis-control.ts', import.meta.url));
  const root = fileURLToPath(new URL('../../..', import.meta.url));
  const esbuild = join(root, 'node_modules', '.bin', 'esbuild');
  if (!existsSync(esbuild)) return undefined;
  mkdirSync(outDir, { recursive: true });
  const out = join(outDir, 'chassis-control.mjs');
  const r = spawnSync(esbuild, [source, '--bundle', '--platform=node', '--target=node20', '--format=esm', `--outfile=${out}`, '--log-level=error'], { encoding: 'utf8' });
  return r.status === 0 && existsSync(out) ? out : undefined;
}

/** ipmi_sim's LAN configuration (see ipmi_lan(5)). */
export function lanConf(m: MachineSpec, chassis: string, lanConfigProgram?: string): string {
  const guid = m.uuid.replace(/-/g, '');
  return [
    `# ipmi_sim configuration of lab machine ${m.name} (written by plinth lab; see ipmi_lan(5))`,
    `name "${m.name}"`,
    'set_working_mc 0x20',
    'startlan 1',
    `  addr ${m.bmc.address} 623`,
    '  priv_limit admin',
    '  allowed_auths_callback md2 md5 straight',
    '  allowed_auths_user md2 md5 straight',
    '  allowed_auths_operator md2 md5 straight',
    '  allowed_auths_admin md2 md5 straight',
    `  guid ${guid}`,
    ...(lanConfigProgram ? [`  lan_config_program "${lanConfigProgram}"`] : []),
    'endlan',
    `chassis_control "${chassis}"`,
    `serial 15 127.0.0.1 ${m.bmc.serialPort} codec VM`,
    `user 2 true "${m.bmc.user}" "${m.bmc.password}" admin 10 md2 md5 straight`,
    '',
  ].join('\n');
}

/**
 * The emulator command file (ipmi_sim_cmd(5)): one BMC at IPMB address 0x20 with chassis, SEL, SDR
 * and FRU support flags (0x9f), and a System Event Log.
 */
export function emulatorCommands(): string {
  return ['mc_setbmc 0x20', 'mc_add 0x20 0 no-device-sdrs 0x01 1 0 0x9f 0x0 0x1', 'sel_enable 0x20 1000 0x0a', 'mc_enable 0x20', ''].join('\n');
}

async function listening(ns: string, address: string): Promise<boolean> {
  const r = await nsExec(ns, 'ss', ['-Hlun'], { allowFail: true });
  return r.stdout.split('\n').some((l) => l.includes(`${address}:623`));
}

/**
 * ipmi_sim asks its `lan_config_program` for the LAN parameters a real BMC reports (`<program> get
 * ip_addr mac_addr …`, answered as `name:value` lines). Without it `ipmitool lan print` shows no IP
 * address, and a machine's enlistment cannot tell its BMC's address (MAAS reads it in-band).
 */
export function lanConfigScript(m: MachineSpec): string {
  return [
    '#!/bin/sh',
    `# LAN parameters of lab machine ${m.name}'s BMC, for ipmi_sim (written by plinth lab). Read-only: sets are ignored.`,
    '[ "$1" = get ] || exit 0',
    'shift',
    'for p in "$@"; do',
    '  case "$p" in',
    `    ip_addr) echo "ip_addr:${m.bmc.address}" ;;`,
    '    ip_addr_src) echo "ip_addr_src:static" ;;',
    '    default_gw_ip_addr|backup_gw_ip_addr) echo "$p:0.0.0.0" ;;',
    '    default_gw_mac_addr|backup_gw_mac_addr) echo "$p:00:00:00:00:00:00" ;;',
    '  esac',
    'done',
    '',
  ].join('\n');
}

/** Writes the BMC's files and starts its ipmi_sim; resolves with the PID once UDP 623 is open. */
export async function startBmc(m: MachineSpec, chassisBundle?: string): Promise<number> {
  const dir = pathsOf(m).ipmiDir;
  mkdirSync(join(dir, 'persist'), { recursive: true });
  const lanProgram = join(dir, 'lan-config.sh');
  checkShellSafe(lanProgram, 'LAN configuration program');
  writeFileSync(lanProgram, lanConfigScript(m), { mode: 0o755 });
  writeFileSync(join(dir, 'lan.conf'), lanConf(m, chassisCommand(m, chassisBundle), lanProgram));
  writeFileSync(join(dir, 'emu.cmd'), emulatorCommands());
  const args = ['netns', 'exec', m.namespaces.bmc, programPath('ipmi_sim'), '-n', '-c', join(dir, 'lan.conf'), '-f', join(dir, 'emu.cmd'), '-s', join(dir, 'persist')];
  const pid = await spawnDaemon('ip', args, join(dir, 'ipmi_sim.log'));
  const up = await waitFor(async () => !isAlive(pid) || (await listening(m.namespaces.bmc, m.bmc.address)), 5000, 50);
  if (!up || !isAlive(pid)) {
    throw new LabError('command_failed', `ipmi_sim for ${m.name} did not start (see ${join(dir, 'ipmi_sim.log')}).`);
  }
  return pid;
}
