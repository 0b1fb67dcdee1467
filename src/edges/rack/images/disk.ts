/**
 * The rack's images directory on disk, in the form the HTTP server serves (../http/files.ts): a file
 * is complete when `<file>.sha256` (sha256sum format) sits beside it and no `<file>.partial` does.
 *
 * Publishing a download keeps that true at every instant: the data is fsynced in `<file>.partial`,
 * renamed to `<file>`, then the marker is written (to `<file>.sha256.partial`, fsynced, renamed) and
 * the directory fsynced. Removing goes the other way: marker first, so the file stops being served
 * before it goes.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, rm, rmdir, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';

/** What the directory holds for one path. */
export interface LocalFile {
  /** Size of the data file, when there is one. */
  size?: number;
  /** Checksum named by its marker, when the marker is valid. */
  marker?: string;
  /** Size of `<path>.partial`, when a download was interrupted. */
  partial?: number;
  /** A marker file exists (valid or not). */
  hasMarker?: boolean;
}

const MARKER = /^([0-9a-f]{64})(\s|$)/i;

const abs = (root: string, path: string) => join(root, ...path.split('/'));

/** Every path of the directory with its data, marker and partial (symbolic links and dot names are left alone). */
export async function scanLocal(root: string): Promise<Map<string, LocalFile>> {
  const out = new Map<string, LocalFile>();
  const entry = (p: string) => { let e = out.get(p); if (!e) out.set(p, e = {}); return e; };
  async function walk(dir: string, prefix: string, depth: number): Promise<void> {
    if (depth > 16) return;
    const names = await readdir(dir, { withFileTypes: true }).catch(() => []);
    for (const d of names) {
      if (d.name.startsWith('.')) continue;
      const rel = prefix ? `${prefix}/${d.name}` : d.name;
      if (d.isDirectory()) { await walk(join(dir, d.name), rel, depth + 1); continue; }
      if (!d.isFile()) continue;
      const full = join(dir, d.name);
      if (rel.endsWith('.sha256.partial')) { await rm(full, { force: true }); continue; } // a marker write cut short
      if (rel.endsWith('.sha256')) {
        const e = entry(rel.slice(0, -7));
        e.hasMarker = true;
        const text = await readFile(full, 'utf8').catch(() => '');
        const m = MARKER.exec(text);
        if (m) e.marker = m[1].toLowerCase();
      } else if (rel.endsWith('.partial')) {
        entry(rel.slice(0, -8)).partial = (await stat(full)).size;
      } else {
        entry(rel).size = (await stat(full)).size;
      }
    }
  }
  await walk(root, '', 0);
  return out;
}

export const partialPath = (root: string, path: string) => `${abs(root, path)}.partial`;
export const filePath = (root: string, path: string) => abs(root, path);

async function fsyncDir(dir: string): Promise<void> {
  const h = await open(dir, 'r').catch(() => null);
  if (!h) return;
  try { await h.sync(); } catch { /* some filesystems refuse directory fsync */ } finally { await h.close(); }
}

/** sha256 of a file's content (hex). */
export async function hashFile(file: string, signal?: AbortSignal): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(file, { highWaterMark: 1024 * 1024, signal })) h.update(chunk as Buffer);
  return h.digest('hex');
}

/** Makes sure `<path>`'s directory exists; returns the partial file's name. */
export async function preparePartial(root: string, path: string): Promise<string> {
  await mkdir(dirname(abs(root, path)), { recursive: true });
  return partialPath(root, path);
}

/** Writes the marker of an already complete `<path>` (data renamed into place first). */
export async function writeMarker(root: string, path: string, sha256: string): Promise<void> {
  const file = abs(root, path);
  const tmp = `${file}.sha256.partial`;
  const h = await open(tmp, 'w', 0o644);
  try {
    await h.writeFile(`${sha256}  ${path.split('/').pop()}\n`);
    await h.sync();
  } finally {
    await h.close();
  }
  await rename(tmp, `${file}.sha256`);
  await fsyncDir(dirname(file));
}

/** Moves a verified, fsynced partial into place and marks it complete. */
export async function publishPartial(root: string, path: string, sha256: string): Promise<void> {
  const file = abs(root, path);
  await rm(`${file}.sha256`, { force: true });
  await rename(`${file}.partial`, file);
  await fsyncDir(dirname(file));
  await writeMarker(root, path, sha256);
}

/** Stops serving `<path>` (its marker goes first). */
export async function unmark(root: string, path: string): Promise<void> {
  await rm(`${abs(root, path)}.sha256`, { force: true });
}

/** Removes `<path>`, its marker and its partial. */
export async function removeFile(root: string, path: string): Promise<void> {
  const file = abs(root, path);
  await rm(`${file}.sha256`, { force: true });
  await rm(file, { force: true });
  await rm(`${file}.partial`, { force: true });
}

export async function removePartial(root: string, path: string): Promise<void> {
  await rm(partialPath(root, path), { force: true });
}

/** Removes directories left empty under `root` (not `root` itself). */
export async function pruneEmptyDirs(root: string): Promise<void> {
  async function walk(dir: string): Promise<boolean> {
    const names = await readdir(dir, { withFileTypes: true }).catch(() => null);
    if (!names) return false;
    let empty = true;
    for (const d of names) {
      if (d.isDirectory() && !d.name.startsWith('.')) {
        if (await walk(join(dir, d.name))) { await rmdir(join(dir, d.name)).catch(() => undefined); continue; }
      }
      empty = false;
    }
    return empty;
  }
  await walk(root);
}
