/**
 * The ephemeral environment's initrd: busybox (from the image's own busybox-static), the kernel
 * modules the boot needs (resolved with their dependencies by `modprobe --show-depends` against the
 * image's kernel) and the /init of assets/init.sh, as a gzipped newc cpio.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { cpioNewc, type CpioEntry } from './cpio.ts';
import { ImageError } from './errors.ts';
import { exec } from './exec.ts';

export const ASSETS = join(dirname(new URL(import.meta.url).pathname), 'assets');

export interface ModuleLoad {
  /** Path inside the root, e.g. /lib/modules/6.1.0-x/kernel/fs/overlayfs/overlay.ko */
  path: string;
  args: string;
}

/**
 * Parses `modprobe --show-depends` output into load order, dropping built-ins and duplicates.
 * Paths come out prefixed with the -d root; they are made root-relative.
 */
export function parseShowDepends(text: string, seen = new Set<string>()): ModuleLoad[] {
  const out: ModuleLoad[] = [];
  for (const line of text.split('\n')) {
    const m = /^insmod\s+(\S+)\s*(.*)$/.exec(line.trim());
    if (!m) continue;
    // modprobe prints the -d root's canonical path; keep what follows it (`/lib/modules/…`).
    const at = m[1].indexOf('/lib/modules/');
    if (at < 0) throw new ImageError('bad_root', `unexpected module path from modprobe: ${m[1]}`);
    const path = m[1].slice(at);
    if (seen.has(path)) continue;
    seen.add(path);
    out.push({ path, args: m[2].trim() });
  }
  return out;
}

export async function resolveModules(rootDir: string, kver: string, names: string[]): Promise<ModuleLoad[]> {
  const seen = new Set<string>();
  const out: ModuleLoad[] = [];
  for (const name of names) {
    const text = await exec('modprobe', ['-d', rootDir, '-S', kver, '--show-depends', name]).catch((e: Error) => {
      throw new ImageError('bad_root', `kernel ${kver} has no module ${name}: ${e.message}`);
    });
    out.push(...parseShowDepends(text, seen));
  }
  return out;
}

/** Module file contents, decompressed when the kernel package ships them compressed. */
async function moduleData(rootDir: string, path: string): Promise<{ path: string; data: Buffer }> {
  const full = join(rootDir, path);
  if (path.endsWith('.ko')) return { path, data: readFileSync(full) };
  const tool = path.endsWith('.xz') ? 'xz' : path.endsWith('.zst') ? 'zstd' : path.endsWith('.gz') ? 'gzip' : undefined;
  if (!tool) throw new ImageError('bad_root', `unknown module format: ${path}`);
  const tmp = `${full}.plinth-unpacked`;
  await exec('sh', ['-c', `${tool} -dc "$1" > "$2"`, 'sh', full, tmp]);
  const data = readFileSync(tmp);
  await exec('rm', ['-f', tmp]);
  return { path: path.replace(/\.(xz|zst|gz)$/, ''), data };
}

function parents(path: string, have: Set<string>): CpioEntry[] {
  const out: CpioEntry[] = [];
  const parts = path.split('/').filter(Boolean);
  for (let i = 1; i < parts.length; i++) {
    const d = parts.slice(0, i).join('/');
    if (!have.has(d)) {
      have.add(d);
      out.push({ type: 'dir', path: d });
    }
  }
  return out;
}

export async function buildInitramfs(rootDir: string, kver: string, modules: string[]): Promise<{ data: Buffer; modules: number }> {
  const busybox = ['bin/busybox', 'usr/bin/busybox'].map((p) => join(rootDir, p)).find((p) => existsSync(p));
  if (!busybox) throw new ImageError('bad_root', 'the root has no busybox (busybox-static) for the initramfs');
  const loads = await resolveModules(rootDir, kver, modules);
  const dirs = new Set<string>();
  const entries: CpioEntry[] = [];
  for (const d of ['bin', 'dev', 'etc', 'proc', 'sys', 'run', 'tmp', 'lib', 'lib/modules']) {
    dirs.add(d);
    entries.push({ type: 'dir', path: d });
  }
  entries.push(
    { type: 'symlink', path: 'sbin', target: 'bin' },
    { type: 'char', path: 'dev/console', major: 5, minor: 1 },
    { type: 'char', path: 'dev/null', major: 1, minor: 3, mode: 0o666 },
    { type: 'file', path: 'bin/busybox', data: readFileSync(busybox), mode: 0o755 },
    // /init needs only sh to start; it installs the other applets' links itself.
    { type: 'symlink', path: 'bin/sh', target: 'busybox' },
    { type: 'file', path: 'bin/plinth-udhcpc', data: readFileSync(join(ASSETS, 'udhcpc.sh')), mode: 0o755 },
    { type: 'file', path: 'init', data: readFileSync(join(ASSETS, 'init.sh')), mode: 0o755 },
  );
  const order: string[] = [];
  for (const l of loads) {
    const m = await moduleData(rootDir, l.path);
    entries.push(...parents(m.path, dirs), { type: 'file', path: m.path.replace(/^\/+/, ''), data: m.data });
    order.push(`${m.path}${l.args ? ` ${l.args}` : ''}`);
  }
  entries.push({ type: 'file', path: 'lib/modules/load-order', data: Buffer.from(`${order.join('\n')}\n`) });
  return { data: gzipSync(cpioNewc(entries), { level: 9 }), modules: loads.length };
}
