/**
 * Running the host tools the lab drives (ip, bridge, sysctl, qemu-img, …), inside or outside a
 * network namespace. Every failure becomes a LabError naming the command and its stderr.
 */
import { spawn, spawnSync } from 'node:child_process';
import { LabError } from './errors.ts';
import { findProgram } from './prereqs.ts';

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  input?: string;
  timeoutMs?: number;
  /** Return the result instead of throwing on a non-zero exit. */
  allowFail?: boolean;
  cwd?: string;
}

function describe(cmd: string, args: string[]): string {
  const line = [cmd, ...args].join(' ');
  return line.length > 300 ? `${line.slice(0, 300)}…` : line;
}

/** Bare program names are looked up in PATH and the system's sbin/bin directories (ip, bridge, sysctl
 * live in /usr/sbin, which a non-login PATH may lack). */
export const programPath = (cmd: string) => (cmd.includes('/') ? cmd : (findProgram(cmd) ?? cmd));

export function run(cmd: string, args: string[], opts: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(programPath(cmd), args, { stdio: ['pipe', 'pipe', 'pipe'], cwd: opts.cwd });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, opts.timeoutMs ?? 30_000);
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      const why = err.code === 'ENOENT' ? 'command not found' : err.message;
      reject(new LabError('command_failed', `${describe(cmd, args)}: ${why}`));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const result = { code: code ?? 128, stdout, stderr };
      if (timedOut) {
        reject(new LabError('command_failed', `${describe(cmd, args)}: timed out after ${opts.timeoutMs ?? 30_000} ms`));
      } else if ((code !== 0 || signal) && !opts.allowFail) {
        reject(new LabError('command_failed', `${describe(cmd, args)} failed (exit ${code ?? signal}): ${stderr.trim() || stdout.trim()}`));
      } else {
        resolve(result);
      }
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(opts.input ?? '');
  });
}

/** Synchronous variant for the short-lived chassis-control program. */
export function runSync(cmd: string, args: string[], opts: RunOptions = {}): RunResult {
  const r = spawnSync(programPath(cmd), args, {
    input: opts.input ?? '',
    encoding: 'utf8',
    timeout: opts.timeoutMs ?? 30_000,
    cwd: opts.cwd,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  if (r.error) {
    const e = r.error as NodeJS.ErrnoException;
    throw new LabError('command_failed', `${describe(cmd, args)}: ${e.code === 'ENOENT' ? 'command not found' : e.message}`);
  }
  const result = { code: r.status ?? 128, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
  if (result.code !== 0 && !opts.allowFail) {
    throw new LabError('command_failed', `${describe(cmd, args)} failed (exit ${r.status ?? r.signal}): ${result.stderr.trim() || result.stdout.trim()}`);
  }
  return result;
}

const nsArgs = (ns: string | null) => (ns ? ['-n', ns] : []);

/** `ip [-n ns] args…` */
export function ip(ns: string | null, args: string[], opts?: RunOptions): Promise<RunResult> {
  return run('ip', [...nsArgs(ns), ...args], opts);
}

/** Several `ip` commands in one process (`ip -batch -`); stops at the first failure. */
export function ipBatch(ns: string | null, lines: string[]): Promise<RunResult> {
  return run('ip', [...nsArgs(ns), '-batch', '-'], { input: `${lines.join('\n')}\n` });
}

/** `bridge [-n ns] args…` (iproute2's bridge tool, for VLAN membership of bridge ports). */
export function bridgeCmd(ns: string | null, args: string[]): Promise<RunResult> {
  return run('bridge', [...nsArgs(ns), ...args]);
}

/** Runs a program inside a network namespace (`ip netns exec` execs, so the PID is the program's). */
export function nsExec(ns: string, cmd: string, args: string[], opts?: RunOptions): Promise<RunResult> {
  return run('ip', ['netns', 'exec', ns, programPath(cmd), ...args], opts);
}

export async function listNamespaces(): Promise<string[]> {
  const r = await ip(null, ['netns', 'list'], { allowFail: true });
  return r.stdout
    .split('\n')
    .map((l) => l.trim().split(/\s+/)[0])
    .filter((n): n is string => Boolean(n));
}

export async function namespaceExists(name: string): Promise<boolean> {
  return (await listNamespaces()).includes(name);
}

/** Names of the links in a namespace (null = the current one). */
export async function linkNames(ns: string | null): Promise<string[]> {
  const r = await ip(ns, ['-o', 'link', 'show'], { allowFail: true });
  if (r.code !== 0) return [];
  return r.stdout
    .split('\n')
    .map((l) => /^\d+:\s+([^:@\s]+)/.exec(l)?.[1])
    .filter((n): n is string => Boolean(n));
}
