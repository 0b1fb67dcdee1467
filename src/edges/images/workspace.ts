/**
 * Temporary build directories and their safe removal. A failed mmdebstrap can leave mounts inside
 * the root (proc, sys, dev, the bind-mounted apt cache); deleting through a mount would delete the
 * host's or the cache's files, so mounts under the directory are taken down first and removal is
 * refused if any remain.
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
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
