/**
 * Helpers of the lab tests: a DHCP listener inside a network namespace, an ipmitool runner, and
 * small /proc and ip readers. Everything real — no doubles; each helper cleans up what it starts.
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const execFileP = promisify(execFile);

/** Why the lab tests cannot run here, or undefined if they can. */
export function labSkipReason(): string | undefined {
  if (process.getuid?.() !== 0) return 'the lab needs root (network namespaces, bridges, taps)';
  return undefined;
}

export function tempStateDir(tag: string): string {
  return mkdtempSync(join(tmpdir(), `plab-${tag}-`));
}

export async function sh(cmd: string, args: string[]): Promise<{ code: number; out: string }> {
  try {
    const r = await execFileP(cmd, args, { timeout: 60_000 });
    return { code: 0, out: `${r.stdout}${r.stderr}` };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : 1, out: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

/**
 * ipmitool over IPMI 2.0 (lanplus) from inside `ns`. `-C 3` names the cipher suite, which avoids a
 * 10 s "Get Channel Cipher Suites" wait. ipmitool may exit 0 on failure: callers check the output.
 */
export async function ipmitool(ns: string, host: string, args: string[], user = 'admin', password = 'password'): Promise<string> {
  const r = await sh('ip', ['netns', 'exec', ns, 'ipmitool', '-I', 'lanplus', '-H', host, '-U', user, '-P', password, '-C', '3', ...args]);
  return r.out;
}

export async function namespaces(): Promise<string[]> {
  const r = await sh('ip', ['netns', 'list']);
  return r.out.split('\n').map((l) => l.trim().split(/\s+/)[0]).filter(Boolean);
}

export async function links(ns: string | null): Promise<string[]> {
  const r = await sh('ip', [...(ns ? ['-n', ns] : []), '-o', 'link', 'show']);
  return r.out.split('\n').map((l) => /^\d+:\s+([^:@\s]+)/.exec(l)?.[1]).filter((x): x is string => Boolean(x));
}

/** The process state letter from /proc (R, S, Z, …) or null when the PID does not exist. */
export function procState(pid: number): string | null {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return s.slice(s.lastIndexOf(')') + 2, s.lastIndexOf(')') + 3);
  } catch {
    return null;
  }
}

/** Gone = no such PID, or a zombie (exited, waiting only for its parent to collect the status). */
export const processGone = (pid: number) => {
  const s = procState(pid);
  return s === null || s === 'Z' || s === 'X';
};

export function cmdlineOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
  } catch {
    return '';
  }
}

/** Live processes (not zombies) whose command line contains `needle`. */
export function processesMentioning(needle: string): number[] {
  return readdirSync('/proc')
    .filter((e) => /^\d+$/.test(e))
    .map(Number)
    .filter((pid) => pid !== process.pid && !processGone(pid) && cmdlineOf(pid).includes(needle));
}

export async function until(cond: () => boolean | Promise<boolean>, timeoutMs: number, everyMs = 100): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (await cond()) return true;
    if (Date.now() > end) return false;
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export interface DhcpPacket {
  op: number;
  mac: string;
  /** Option 53 (RFC 2132 §9.6): 1 = DHCPDISCOVER, 3 = DHCPREQUEST, … */
  messageType: number | null;
}

/** Parses a BOOTP/DHCP message (RFC 2131 §2, fixed header of 236 bytes, then the magic cookie). */
export function parseDhcp(buf: Buffer): DhcpPacket | null {
  if (buf.length < 240 || buf.readUInt32BE(236) !== 0x63825363) return null;
  const hlen = buf[2];
  const mac = [...buf.subarray(28, 28 + Math.min(hlen, 16))].map((b) => b.toString(16).padStart(2, '0')).join(':');
  let messageType: number | null = null;
  for (let i = 240; i < buf.length; ) {
    const code = buf[i];
    if (code === 255) break;
    if (code === 0) {
      i += 1;
      continue;
    }
    const len = buf[i + 1];
    if (code === 53 && len >= 1) messageType = buf[i + 2];
    i += 2 + len;
  }
  return { op: buf[0], mac, messageType };
}

/**
 * A UDP socket on port 67 inside namespace `ns` (a child `node` process run by `ip netns exec`,
 * which execs, so the child's PID is the listener's). Records every DHCP message it receives.
 */
export class DhcpListener {
  readonly packets: Array<DhcpPacket & { at: number }> = [];
  private constructor(private readonly child: ChildProcess) {}

  static async start(ns: string): Promise<DhcpListener> {
    const script = [
      "const s = require('node:dgram').createSocket({ type: 'udp4', reuseAddr: true });",
      "s.on('message', (m) => process.stdout.write(m.toString('hex') + '\\n'));",
      "s.bind(67, '0.0.0.0', () => process.stdout.write('ready\\n'));",
      "process.stdin.on('end', () => process.exit(0)); process.stdin.resume();",
    ].join('\n');
    const child = spawn('ip', ['netns', 'exec', ns, process.execPath, '-e', script], { stdio: ['pipe', 'pipe', 'inherit'] });
    const l = new DhcpListener(child);
    let buf = '';
    await new Promise<void>((resolve, reject) => {
      child.once('error', reject);
      child.once('exit', (code) => reject(new Error(`DHCP listener exited (${code})`)));
      child.stdout?.setEncoding('utf8').on('data', (d: string) => {
        buf += d;
        for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
          const line = buf.slice(0, nl);
          buf = buf.slice(nl + 1);
          if (line === 'ready') resolve();
          const p = line === 'ready' ? null : parseDhcp(Buffer.from(line, 'hex'));
          if (p) l.packets.push({ ...p, at: Date.now() });
        }
      });
    });
    return l;
  }

  /** Resolves with the first DHCPDISCOVER from `mac` (waiting up to timeoutMs), or null. */
  async discoverFrom(mac: string, timeoutMs: number): Promise<(DhcpPacket & { at: number }) | null> {
    const find = () => this.packets.find((p) => p.op === 1 && p.messageType === 1 && p.mac === mac.toLowerCase());
    await until(() => find() !== undefined, timeoutMs, 100);
    return find() ?? null;
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((r) => this.child.once('exit', r));
    if (this.child.pid) process.kill(this.child.pid, 'SIGTERM');
    await exited;
  }
}
