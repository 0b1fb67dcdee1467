/**
 * Network-namespace fixtures for tests and the benchmark: a pair of namespaces joined by a veth
 * link (server side addressed 10.213.<n>.1/24, client side unaddressed), a DhcpServer process
 * started inside the server namespace (standalone.ts), and cleanup by PID and namespace name.
 * Nothing is configured in the root namespace.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import type { DhcpConfig } from '../../../src/edges/rack/dhcp/config.ts';
import type { ListenOptions } from '../../../src/edges/rack/dhcp/server.ts';
import type { LeaseEvent } from '../../../src/edges/rack/dhcp/events.ts';
import type { StandbyTakeover } from '../../../src/edges/rack/dhcp/standby.ts';

export const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const STANDALONE = join(REPO, 'src/edges/rack/dhcp/standalone.ts');

export function run(cmd: string, args: string[], timeoutMs = 20_000): Promise<{ stdout: string; stderr: string; code: number }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { timeout: timeoutMs }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
      resolve({ stdout, stderr, code });
    });
  });
}

async function must(cmd: string, args: string[]): Promise<string> {
  const r = await run(cmd, args);
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
  return r.stdout;
}

/** Why namespace tests cannot run here, or null when they can. */
export async function netnsUnavailable(): Promise<string | null> {
  if (process.getuid?.() !== 0) return 'needs root to create network namespaces';
  const name = `pdhcp-probe-${process.pid}`;
  const add = await run('ip', ['netns', 'add', name]);
  if (add.code !== 0) return `ip netns unavailable: ${add.stderr.trim() || 'exit ' + add.code}`;
  await run('ip', ['netns', 'del', name]);
  return null;
}

export interface Link {
  serverNs: string;
  clientNs: string;
  serverIf: string;
  clientIf: string;
  /** e.g. "10.213.7" — the /24 on the link. */
  net: string;
  serverIp: string;
  dir: string;
  /** Runs a command inside the client namespace. */
  inClient(cmd: string, args: string[], timeoutMs?: number): ReturnType<typeof run>;
  inServer(cmd: string, args: string[], timeoutMs?: number): ReturnType<typeof run>;
  destroy(): Promise<void>;
}

let counter = 0;

export interface LinkOptions {
  /** Server address and prefix length (default 10.213.<n>.1/24). */
  serverCidr?: string;
  /** Address (with prefix) given to the client side, for clients that are relays (default none). */
  clientCidr?: string;
}

/** Two namespaces and a veth between them; `n` picks the /24 (10.213.n.0/24). */
export async function createLink(n: number, opts: LinkOptions = {}): Promise<Link> {
  counter += 1;
  const tag = `${process.pid}-${counter}`;
  const serverNs = `pdhcp-s-${tag}`;
  const clientNs = `pdhcp-c-${tag}`;
  const net = `10.213.${n}`;
  const dir = await mkdtemp(join(tmpdir(), 'plinth-dhcp-netns-'));
  const link: Link = {
    serverNs, clientNs, serverIf: 'dhcps0', clientIf: 'dhcpc0', net, serverIp: opts.serverCidr?.split('/')[0] ?? `${net}.1`, dir,
    inClient: (cmd, args, t) => run('ip', ['netns', 'exec', clientNs, cmd, ...args], t),
    inServer: (cmd, args, t) => run('ip', ['netns', 'exec', serverNs, cmd, ...args], t),
    async destroy() {
      await run('ip', ['netns', 'del', serverNs]);
      await run('ip', ['netns', 'del', clientNs]);
      await rm(dir, { recursive: true, force: true });
    },
  };
  try {
    await must('ip', ['netns', 'add', serverNs]);
    await must('ip', ['netns', 'add', clientNs]);
    await must('ip', ['link', 'add', link.serverIf, 'netns', serverNs, 'type', 'veth', 'peer', 'name', link.clientIf, 'netns', clientNs]);
    for (const [ns, ifname] of [[serverNs, link.serverIf], [clientNs, link.clientIf]]) {
      await must('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
      await must('ip', ['-n', ns, 'link', 'set', ifname, 'up']);
    }
    await must('ip', ['-n', serverNs, 'addr', 'add', opts.serverCidr ?? `${link.serverIp}/24`, 'brd', '+', 'dev', link.serverIf]);
    if (opts.clientCidr) await must('ip', ['-n', clientNs, 'addr', 'add', opts.clientCidr, 'brd', '+', 'dev', link.clientIf]);
  } catch (err) {
    await link.destroy();
    throw err;
  }
  return link;
}

export interface ServerProcess {
  child: ChildProcess;
  events: LeaseEvent[];
  errors: string[];
  /** Standby takeovers the server reported (failover standby subnets). */
  takeovers: StandbyTakeover[];
  /** Resolves when an event matching the predicate has arrived. */
  waitFor(pred: (e: LeaseEvent) => boolean, timeoutMs?: number): Promise<LeaseEvent>;
  stop(): Promise<void>;
}

/** Starts standalone.ts inside the link's server namespace and waits until it listens. */
export async function startServerIn(link: Link, config: DhcpConfig, listen: ListenOptions = {}, leaseFile?: string): Promise<ServerProcess> {
  const settings = join(link.dir, `server-${Date.now()}.json`);
  await writeFile(settings, JSON.stringify({ config, listen, leaseFile }));
  const child = spawn('ip', ['netns', 'exec', link.serverNs, process.execPath, '--import', 'tsx', STANDALONE, settings], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
  const events: LeaseEvent[] = [];
  const errors: string[] = [];
  const takeovers: StandbyTakeover[] = [];
  let listeners: Array<() => void> = [];
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => { stderr += d.toString(); });
  const ready = new Promise<void>((resolve, reject) => {
    const rl = createInterface({ input: child.stdout! });
    rl.on('line', (line) => {
      let msg: { ready?: unknown; event?: LeaseEvent; error?: string; takeover?: StandbyTakeover };
      try { msg = JSON.parse(line) as typeof msg; } catch { return; }
      if (msg.ready) resolve();
      if (msg.event) events.push(msg.event);
      if (msg.error) errors.push(msg.error);
      if (msg.takeover) takeovers.push(msg.takeover);
      const l = listeners;
      listeners = [];
      for (const f of l) f();
    });
    child.once('exit', (code) => reject(new Error(`DHCP server exited (${code}): ${stderr}`)));
  });
  await ready;
  return {
    child, events, errors, takeovers,
    async waitFor(pred, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = events.find(pred);
        if (found) return found;
        if (Date.now() > deadline) throw new Error(`no matching lease event; got ${JSON.stringify(events)}`);
        await new Promise<void>((r) => { const t = setTimeout(r, 100); listeners.push(() => { clearTimeout(t); r(); }); });
      }
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Kills the process whose PID is in pidFile (if any), by PID. */
export async function killPidFile(pidFile: string): Promise<void> {
  const pid = Number((await readFile(pidFile, 'utf8').catch(() => '')).trim());
  if (Number.isInteger(pid) && pid > 1) {
    try { process.kill(pid, 'SIGTERM'); } catch { /* already gone */ }
  }
}
