/**
 * One BIOS QEMU virtual machine (TCG) that network-boots from a bridge: a tap device in the
 * bridge's namespace, QEMU run there by `ip netns exec` (which execs: the child's PID is QEMU's), its
 * NIC's option ROM being QEMU's iPXE build, the serial console in a file and the human monitor on a
 * Unix socket (`system_reset`). Stopped by PID; the tap goes with the namespace.
 *
 * iPXE waits about 13 s for an IPv6 router advertisement on every network boot unless one comes;
 * `startRouterAdverts` runs radvd on the bridge (no prefix, not a default router: nothing changes
 * for the racks) so it comes at once.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { join } from 'node:path';
import { run } from '../../dhcp/helpers/netns.ts';
import { must, stop, type Cleanups } from './two-racks.ts';

const NIC_ROMS = ['/usr/share/qemu/efi-virtio.rom', '/usr/lib/ipxe/qemu/efi-virtio.rom'];

/** Why a VM cannot run here, or null. */
export async function vmUnavailable(): Promise<string | null> {
  if (process.getuid?.() !== 0) return 'needs root (network namespaces, tap devices)';
  if ((await run('qemu-system-x86_64', ['--version'])).code !== 0) return 'needs qemu-system-x86_64 (Debian qemu-system-x86)';
  if (!NIC_ROMS.some((f) => existsSync(f))) return "needs QEMU's iPXE NIC ROM (Debian ipxe-qemu)";
  return null;
}

export interface Vm {
  child: ChildProcess;
  /** The serial console so far, without terminal escape sequences and carriage returns. */
  console(): string;
  /** Sends `system_reset` over the monitor socket (a hard reset: the firmware starts again). */
  reset(): Promise<void>;
}

export interface VmOptions {
  ns: string;
  bridge: string;
  tap: string;
  mac: string;
  dir: string;
  memoryMiB?: number;
}

const ESCAPES = /\u001b\[[0-9;?]*[A-Za-z]|\u001b[()][A-Za-z0-9]|\r/g;

export async function startVm(o: VmOptions, cleanups: Cleanups): Promise<Vm> {
  await must('ip', ['-n', o.ns, 'tuntap', 'add', 'dev', o.tap, 'mode', 'tap']);
  await must('ip', ['-n', o.ns, 'link', 'set', o.tap, 'master', o.bridge, 'up']);
  const consolePath = join(o.dir, `${o.tap}-console.log`);
  const monitor = join(o.dir, `${o.tap}-monitor.sock`);
  const args = [
    '-machine', 'q35,accel=tcg,graphics=off', '-m', String(o.memoryMiB ?? 128), '-smp', '1',
    '-nodefaults', '-display', 'none',
    '-chardev', `file,id=console,path=${consolePath}`, '-serial', 'chardev:console',
    '-monitor', `unix:${monitor},server=on,wait=off`,
    '-netdev', `tap,id=n0,ifname=${o.tap},script=no,downscript=no`,
    '-device', `virtio-net-pci,netdev=n0,id=nic0,mac=${o.mac},bootindex=1`,
    '-boot', 'strict=on',
  ];
  let stderr = '';
  const child = spawn('ip', ['netns', 'exec', o.ns, 'qemu-system-x86_64', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  child.stderr!.on('data', (d: Buffer) => { stderr += d.toString(); });
  cleanups.push(() => stop(child));
  const started = Date.now();
  while (!existsSync(monitor)) {
    if (child.exitCode !== null) throw new Error(`QEMU exited (${child.exitCode}): ${stderr}`);
    if (Date.now() - started > 10_000) throw new Error(`QEMU's monitor socket did not appear: ${stderr}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    child,
    console: () => { try { return readFileSync(consolePath, 'utf8').replace(ESCAPES, ''); } catch { return ''; } },
    reset: () => monitorCommand(monitor, 'system_reset'),
  };
}

/**
 * radvd on `bridge` in `ns` (foreground, stopped by PID), advertising no prefix and no default
 * route. False when radvd is not installed (the boots are then about 13 s slower each).
 */
export async function startRouterAdverts(ns: string, bridge: string, dir: string, cleanups: Cleanups): Promise<boolean> {
  if ((await run('sh', ['-c', 'command -v radvd'])).code !== 0) return false;
  const conf = join(dir, 'radvd.conf');
  writeFileSync(conf, `interface ${bridge} {\n  AdvSendAdvert on;\n  MinRtrAdvInterval 3;\n  MaxRtrAdvInterval 10;\n  AdvDefaultLifetime 0;\n};\n`);
  const child = spawn('ip', ['netns', 'exec', ns, 'radvd', '-n', '-C', conf, '-p', join(dir, 'radvd.pid'), '-m', 'stderr'], { stdio: 'ignore' });
  cleanups.push(() => stop(child));
  await new Promise((r) => setTimeout(r, 300));
  if (child.exitCode !== null) throw new Error(`radvd exited (${child.exitCode}) with ${conf}`);
  return true;
}

/** One command on QEMU's human monitor: wait for the prompt, send it, wait for the next prompt. */
function monitorCommand(path: string, command: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const c = createConnection(path);
    let buf = '';
    let sent = false;
    const timer = setTimeout(() => { c.destroy(); reject(new Error(`monitor: no answer to ${command}`)); }, 5000);
    c.on('data', (d: Buffer) => {
      buf += d.toString();
      if (!buf.includes('(qemu)')) return;
      if (!sent) { sent = true; buf = ''; c.write(`${command}\n`); return; }
      clearTimeout(timer);
      c.end();
      resolve();
    });
    c.on('error', (err) => { clearTimeout(timer); reject(err); });
  });
}

/** A complete image file in the layout of src/domain/boot/images.ts: the file, then its checksum marker. */
export async function addImage(dataDir: string, rel: string, content: Buffer): Promise<void> {
  const path = join(dataDir, 'images', rel);
  await mkdir(join(path, '..'), { recursive: true });
  await writeFile(path, content);
  await writeFile(`${path}.sha256`, `${createHash('sha256').update(content).digest('hex')}  ${rel.split('/').pop()}\n`);
}

export const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** iPXE's console line for a completed download of `path` from `host`'s HTTP boot server. */
export const fetched = (host: string, path: string) => new RegExp(`http://${escapeRe(host)}:5248/${escapeRe(path)}\\S*\\.\\.\\. ok`);
