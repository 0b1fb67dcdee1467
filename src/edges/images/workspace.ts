/**
 * Temporary build directories and their safe removal. A failed mmdebstrap can leave mounts inside
 * the root (proc, sys, dev, the bind-mounted apt cache); deleting through a mount would delete the
 * host's or the cache's files, so mounts under the directory are taken down first and removal is
 * refused if any remain.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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

const alive = (pid: number) => { try { process.kill(pid, 0); return true; } catch (e) { return (e as NodeJS.ErrnoException).code === 'EPERM'; } };

/**
 * One build of the same inputs at a time: a directory `.claim-<name>` (mkdir is atomic) holding the
 * builder's PID. A second builder waits until the claim is gone (or its PID is dead: a killed build),
 * then looks at the cache again — it usually finds the first one's result instead of building it twice.
 * Returns the release function.
 */
export async function claimBuild(buildsDir: string, name: string, waiting: (pid: number) => void, pollMs = 2000): Promise<() => void> {
  const claim = join(buildsDir, `.claim-${name}`);
  let told = false;
  let unreadableSince = 0;
  for (;;) {
    try {
      mkdirSync(claim);
      writeFileSync(join(claim, 'pid'), String(process.pid));
      return () => rmSync(claim, { recursive: true, force: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    let pid = 0;
    try { pid = Number(readFileSync(join(claim, 'pid'), 'utf8')); } catch { /* being written, or left by a crash */ }
    const now = Date.now();
    if (!pid) unreadableSince ||= now; else unreadableSince = 0;
    // A claim without a readable PID for 30 s was left between mkdir and write by a killed process.
    if ((pid && !alive(pid)) || (unreadableSince && now - unreadableSince > 30_000)) {
      rmSync(claim, { recursive: true, force: true });
      continue;
    }
    if (pid && !told) { waiting(pid); told = true; }
    await new Promise((r) => setTimeout(r, pollMs));
  }
}
