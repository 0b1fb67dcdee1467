/**
 * Process bookkeeping by PID: liveness from /proc (a zombie counts as gone — it has exited and only
 * waits for its parent to collect the status), identity checks before signalling (PIDs are reused),
 * detached daemons with their output in a log file, and polite-then-firm termination.
 */
import { spawn } from 'node:child_process';
import { closeSync, openSync, readdirSync, readFileSync } from 'node:fs';
import { findProgram } from './prereqs.ts';

export function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Format: "pid (comm) S …" — comm may contain spaces and parentheses, so cut at the last ')'.
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

/** The process's argv, or null if it is gone. */
export function cmdline(pid: number): string[] | null {
  try {
    const raw = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return raw.split('\0').filter((a, i, all) => a !== '' || i < all.length - 1);
  } catch {
    return null;
  }
}

/** True if the live process's command line contains `needle` (guards against reused PIDs). */
export function isOurs(pid: number, needle: string): boolean {
  if (!isAlive(pid)) return false;
  return (cmdline(pid) ?? []).some((a) => a.includes(needle));
}

/** PIDs of live processes whose command line mentions `needle`, except this process. */
export function pidsMentioning(needle: string): number[] {
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    if (pid === process.pid) continue;
    if (isOurs(pid, needle)) out.push(pid);
  }
  return out;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export async function waitFor(cond: () => boolean | Promise<boolean>, timeoutMs: number, everyMs = 50): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (await cond()) return true;
    if (Date.now() >= end) return false;
    await sleep(everyMs);
  }
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves true once the process is gone. */
export async function terminate(pid: number, graceMs = 2000): Promise<boolean> {
  if (!isAlive(pid)) return true;
  signal(pid, 'SIGTERM');
  if (await waitFor(() => !isAlive(pid), graceMs)) return true;
  signal(pid, 'SIGKILL');
  return waitFor(() => !isAlive(pid), 3000);
}

/**
 * Starts a long-running program in its own session with stdin closed and stdout+stderr appended to
 * `logFile`; returns its PID at once. The caller records the PID; nothing keeps this process alive.
 */
export function spawnDaemon(cmd: string, args: string[], logFile: string, cwd?: string): Promise<number> {
  const fd = openSync(logFile, 'a');
  return new Promise((resolve, reject) => {
    const child = spawn(cmd.includes('/') ? cmd : (findProgram(cmd) ?? cmd), args, { detached: true, stdio: ['ignore', fd, fd], cwd });
    child.once('error', (err) => {
      closeSync(fd);
      reject(err);
    });
    child.once('spawn', () => {
      closeSync(fd);
      child.unref();
      resolve(child.pid as number);
    });
  });
}
