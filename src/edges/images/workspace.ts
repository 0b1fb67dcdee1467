/**
 * Temporary build directories and their safe removal. A failed mmdebstrap can leave mounts inside
 * the root (proc, sys, dev, the bind-mounted apt cache); deleting through a mount would delete the
 * host's or the cache's files, so mounts under the directory are taken down first and removal is
 * refused if any remain.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { exec } from './exec.ts';
import { ImageError } from './errors.ts';

/** Mount points at or below `dir`, deepest first. */
export function mountsUnder(dir: string, mountinfo = readFileSync('/proc/self/mountinfo', 'utf8')): string[] {
  const base = dir.replace(/\/+$/, '');
  return mountinfo.split('\n')
    .map((l) => l.split(' ')[4]?.replace(/\\040/g, ' '))
    .filter((p): p is string => !!p && (p === base || p.startsWith(`${base}/`)))
    .sort((a, b) => b.length - a.length);
}

export async function removeTree(dir: string): Promise<void> {
  if (!existsSync(dir)) return;
  for (const m of mountsUnder(dir)) await exec('umount', ['-l', m]).catch(() => undefined);
  const left = mountsUnder(dir);
  if (left.length) throw new ImageError('command_failed', `not removing ${dir}: still mounted: ${left.join(', ')}`);
  rmSync(dir, { recursive: true, force: true });
}

/** This boot's id: a PID recorded before a reboot means nothing after it. */
const bootId = () => { try { return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim(); } catch { return ''; } };
/** A process's start time (clock ticks since boot, /proc/<pid>/stat field 22): tells a PID reused by another process. */
function startTime(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
  } catch { return null; }
}
/** Who holds a claim: "<pid> <start time> <boot id> <claim id>" (the claim id tells one process's claims apart). */
const holderText = (pid: number) => `${pid} ${startTime(pid) ?? '?'} ${bootId()} ${randomUUID()}`;
/** Whether the process that wrote `text` still runs (same PID, same start time, same boot). */
function holderAlive(text: string): boolean {
  const [pid, start, boot] = text.trim().split(' ');
  const n = Number(pid);
  if (!n || boot !== bootId()) return false;
  const now = startTime(n);
  return now !== null && now === start;
}

/**
 * One build of the same inputs at a time: a directory `.claim-<name>` (mkdir is atomic) holding who
 * builds (PID, its start time, the boot). A second builder waits until the claim is gone or its holder
 * is dead (a killed build, a reboot, a PID since reused), then looks at the cache again — it usually
 * finds the first one's result instead of building it twice. A dead holder's claim is taken over by
 * renaming it away first (rename is atomic: of two waiters, one wins). Returns the release function,
 * which removes the claim only while it is still this process's.
 */
export async function claimBuild(buildsDir: string, name: string, waiting: (pid: number) => void, pollMs = 2000): Promise<() => void> {
  const claim = join(buildsDir, `.claim-${name}`);
  const holder = join(claim, 'holder');
  let told = false;
  let unreadableSince = 0;
  for (;;) {
    try {
      mkdirSync(claim);
      const mine = holderText(process.pid);
      writeFileSync(holder, mine);
      return () => {
        let text = '';
        try { text = readFileSync(holder, 'utf8'); } catch { return; }
        if (text === mine) rmSync(claim, { recursive: true, force: true });
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    let text = '';
    try { text = readFileSync(holder, 'utf8'); } catch { /* being written, or left by a crash */ }
    const now = Date.now();
    if (!text) unreadableSince ||= now; else unreadableSince = 0;
    // A claim without a readable holder for 30 s was left between mkdir and write by a killed process.
    if ((text && !holderAlive(text)) || (unreadableSince && now - unreadableSince > 30_000)) {
      const away = `${claim}.stale-${process.pid}-${now}`;
      try { renameSync(claim, away); } catch { continue; } // another waiter took it over first
      rmSync(away, { recursive: true, force: true });
      unreadableSince = 0;
      continue;
    }
    if (text && !told) { waiting(Number(text.split(' ')[0])); told = true; }
    await new Promise((r) => setTimeout(r, pollMs));
  }
}
