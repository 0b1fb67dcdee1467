/**
 * An emulated BMC for the IPMI tests: OpenIPMI's `ipmi_sim` serving IPMI-over-LAN (RMCP/RMCP+) on
 * UDP 623 at 10.215.0.2 inside a network namespace made for the test, with `chassis-control.sh` (a test
 * double for the machine's hardware) keeping power and boot device in a state file. Everything it makes
 * (namespace, process, temp dir) is removed by stop(), the process by its PID.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Observed } from './conformance.ts';

export const BMC_ADDRESS = '10.215.0.2';
export const SILENT_ADDRESS = '10.215.0.9';
export const BMC_USER = 'admin';
/** Contains `#` and `\`, which FreeIPMI's config file syntax must escape: the escaping is under test too. */
export const BMC_PASS = 'Pl#nth\\pw42';

const here = dirname(fileURLToPath(import.meta.url));
let counter = 0;

export interface IpmiSim {
  ns: string;
  dir: string;
  pid: number;
  observe(): Promise<Observed>;
  force(power: 'on' | 'off'): Promise<void>;
  log(): string[];
  stop(): Promise<void>;
}

const ip = (...args: string[]) => execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });

export function canRunIpmiSim(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root to create a network namespace';
  return undefined;
}

export async function startIpmiSim(): Promise<IpmiSim> {
  const ns = `plinth-pw-${process.pid}-${counter++}`;
  const dir = mkdtempSync(join(tmpdir(), 'plinth-ipmisim-'));
  const stateFile = join(dir, 'chassis.state');
  ip('netns', 'add', ns);
  let child: ChildProcess | undefined;
  const cleanup = async () => {
    if (child?.pid && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child!.once('exit', r));
      process.kill(child.pid, 'SIGKILL');
      await exited;
    }
    try { ip('netns', 'del', ns); } catch { /* already gone */ }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    ip('-n', ns, 'link', 'set', 'lo', 'up');
    ip('-n', ns, 'addr', 'add', `${BMC_ADDRESS}/24`, 'dev', 'lo');
    writeFileSync(stateFile, 'power=0\nboot=none\n');
    writeFileSync(join(dir, 'lan.conf'), [
      'name "plinthtest"',
      'set_working_mc 0x20',
      '  startlan 1',
      `    addr ${BMC_ADDRESS} 623`,
      '    priv_limit admin',
      '    allowed_auths_callback none md2 md5 straight',
      '    allowed_auths_user none md2 md5 straight',
      '    allowed_auths_operator none md2 md5 straight',
      '    allowed_auths_admin none md2 md5 straight',
      '    guid a123456789abcdefa123456789abcdef',
      '  endlan',
      `  chassis_control "/bin/sh ${join(here, 'chassis-control.sh')} ${stateFile}"`,
      `  user 2 true "${BMC_USER}" "${BMC_PASS}" admin 10 none md2 md5 straight`,
      '',
    ].join('\n'));
    writeFileSync(join(dir, 'emu.cmds'), [
      'mc_setbmc 0x20',
      'mc_add 0x20 0 no-device-sdrs 0x23 9 8 0x9f 0x1291 0xf02 persist_sdr',
      'mc_enable 0x20',
      '',
    ].join('\n'));
    child = spawn('ip', ['netns', 'exec', ns, 'ipmi_sim', '-c', join(dir, 'lan.conf'), '-f', join(dir, 'emu.cmds'), '-s', dir, '-n'],
      { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr!.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
    // Ready when the BMC answers an unauthenticated RMCP presence ping (ipmiping, 1 packet).
    const deadline = Date.now() + 5000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`ipmi_sim exited: ${stderr}`);
      try {
        execFileSync('ip', ['netns', 'exec', ns, 'ipmiping', '-c', '1', '-t', '1', BMC_ADDRESS], { stdio: 'ignore' });
        break;
      } catch {
        if (Date.now() > deadline) throw new Error(`ipmi_sim did not answer: ${stderr}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  } catch (err) {
    await cleanup();
    throw err;
  }

  const readState = () => {
    const text = existsSync(stateFile) ? readFileSync(stateFile, 'utf8') : '';
    return Object.fromEntries(text.split('\n').filter(Boolean).map((l) => l.split('=') as [string, string]));
  };
  const log = () => existsSync(`${stateFile}.log`) ? readFileSync(`${stateFile}.log`, 'utf8').split('\n').filter(Boolean) : [];
  const BOOT: Record<string, Observed['boot']> = { pxe: 'pxe', default: 'disk', none: 'none' };
  return {
    ns, dir, pid: child.pid!,
    log,
    async observe() {
      const s = readState();
      // A start is a "set power 1" while off, or a reset while on; replay the log to count them.
      let power = '0';
      let boots = 0;
      for (const line of log()) {
        const [verb, what, value] = line.split(' ');
        if (verb !== 'set') continue;
        if (what === 'power') { if (value === '1' && power === '0') boots++; power = value; }
        if (what === 'shutdown' && value === '1') power = '0';
        if (what === 'reset' && value === '1' && power === '1') boots++;
        if (what === 'force') power = value;
      }
      return { power: s.power === '1' ? 'on' : 'off', boot: BOOT[s.boot] ?? 'other', boots };
    },
    async force(power) {
      const s = readState();
      const v = power === 'on' ? '1' : '0';
      writeFileSync(stateFile, `power=${v}\nboot=${s.boot ?? 'none'}\n`);
      writeFileSync(`${stateFile}.log`, `set force ${v}\n`, { flag: 'a' });
    },
    stop: cleanup,
  };
}
