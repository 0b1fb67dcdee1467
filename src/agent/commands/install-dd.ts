/**
 * After a disk image (ddgz) is written: find the image's root filesystem and tell its cloud-init where
 * the metadata service is, as MAAS's installer does for custom images. Without that, the installed
 * system would look for a datasource of its own and never report to the region, and the machine would
 * sit in Deploying until the timeout.
 *
 * The kernel is told to re-read the new partition table (`partx -u`, `partx -a`, `blockdev --rereadpt`), udev
 * is given a moment, then each partition (or the whole disk, for an image without a partition table)
 * whose filesystem blkid names as a Linux root candidate is mounted in turn; the first holding
 * `etc/os-release` is the root. Its cloud.cfg.d gets the datasource (mode 0600: it holds the token)
 * and the network configuration. An image without a Linux root or without cloud-init is not an error —
 * it may configure itself — but the stage ends with a warning saying the machine will not report.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, rmdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { AgentConfig } from '../config.ts';
import { exec, type InstallLog } from './install-exec.ts';
import { datasourceConfig, networkConfig } from './install-files.ts';
import type { AgentInstallPlan } from './install-plan.ts';

/** Filesystems a Linux root can be on (what blkid calls them). */
export const ROOT_FSTYPES = new Set(['ext4', 'ext3', 'ext2', 'xfs', 'btrfs']);

/** Runs argv and returns its standard output; null when it cannot be started or fails. */
function capture(argv: string[]): Promise<string | null> {
  return new Promise((resolve) => {
    const c = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    c.stdout.on('data', (b: Buffer) => { out += b.toString(); });
    c.on('error', () => resolve(null));
    c.on('close', (code) => resolve(code === 0 ? out : null));
  });
}

/** `lsblk -lnpo NAME,TYPE` output → the disk's partitions (by path), in table order. */
export function partitionsOf(lsblk: string, disk: string): string[] {
  return lsblk.split('\n').map((l) => l.trim().split(/\s+/)).filter(([name, type]) => name && name !== disk && type === 'part').map(([name]) => name);
}

/** `blkid -o export` output → TYPE, or null. */
export function fsTypeOf(blkid: string | null): string | null {
  return blkid ? /^TYPE=(.*)$/m.exec(blkid)?.[1] ?? null : null;
}

/** Candidate filesystems on the written disk: its partitions, else the disk itself. */
async function candidates(ilog: InstallLog, disk: string): Promise<Array<{ dev: string; fstype: string }>> {
  // Not a block device (a file standing in for a disk): partx would attach a loop device to it.
  if (!statSync(disk).isBlockDevice()) { ilog.say(`${disk} is not a block device: its filesystems are not looked at`); return []; }
  const listed = async () => partitionsOf(await capture(['lsblk', '-lnpo', 'NAME,TYPE', disk]) ?? '', disk);
  // partx -u syncs the kernel's view with the new table; -a adds where the kernel had none (a loop
  // device); BLKRRPART last. Each is harmless where the kernel is already right.
  let parts: string[] = [];
  for (const argv of [['partx', '-u', disk], ['partx', '-a', disk], ['blockdev', '--rereadpt', disk]]) {
    await capture(argv);
    await capture(['udevadm', 'settle', '--timeout=10']);
    parts = await listed();
    if (parts.length) break;
  }
  ilog.say(`partitions of ${disk}: ${parts.length ? parts.join(' ') : 'none'}`);
  const out: Array<{ dev: string; fstype: string }> = [];
  for (const dev of parts.length ? parts : [disk]) {
    const fstype = fsTypeOf(await capture(['blkid', '-p', '-o', 'export', dev]));
    ilog.say(`${dev}: ${fstype ?? 'no filesystem'}`);
    if (fstype && ROOT_FSTYPES.has(fstype)) out.push({ dev, fstype });
  }
  return out;
}

/**
 * The stage: returns a warning when the image could not be configured (the install goes on: the
 * image is written and may configure itself), throws when a mount or write fails midway.
 */
export async function configureDiskImage(ilog: InstallLog, plan: AgentInstallPlan, cfg: AgentConfig, workDir: string): Promise<string | void> {
  const disk = plan.boot_device!;
  const at = join(workDir, 'plinth-dd-root');
  mkdirSync(at, { recursive: true });
  try {
    for (const { dev, fstype } of await candidates(ilog, disk)) {
      await exec(ilog, ['mount', '-t', fstype, dev, at]);
      try {
        if (!existsSync(join(at, 'etc/os-release'))) continue;
        const write = (path: string, content: string, mode?: number) => {
          mkdirSync(dirname(join(at, path)), { recursive: true });
          writeFileSync(join(at, path), content, mode === undefined ? undefined : { mode });
          ilog.say(`wrote ${dev}:/${path}`);
        };
        if (!existsSync(join(at, 'usr/bin/cloud-init'))) {
          return `the image's root (${dev}) has no cloud-init: it cannot report to the region, so the machine will not reach Deployed on its own`;
        }
        write('etc/cloud/cloud.cfg.d/90_plinth_datasource.cfg', datasourceConfig(plan, cfg), 0o600);
        write('etc/cloud/cloud.cfg.d/50-plinth-networking.cfg', networkConfig(plan.network.netplan));
        return;
      } finally {
        await exec(ilog, ['umount', at]);
      }
    }
    return `no partition of ${disk} holds a Linux root (etc/os-release on ext2/3/4, xfs or btrfs): the image was written as it is and cannot be told where the metadata service is`;
  } finally {
    try { rmdirSync(at); } catch { /* still mounted after a failed umount: leave it */ }
  }
}
