/**
 * The region's image manifest: every complete file of its images directory — one with a valid
 * `<file>.sha256` marker beside it and no `<file>.partial` — with size, checksum (from the marker)
 * and mtime. Whoever published the file (the image builder, boot-resource uploads and imports)
 * wrote the marker once it was complete, so the manifest needs no database and hashes nothing.
 *
 * The walk follows directory symlinks (the builder publishes `<os>/<arch>/<series>` as a link to
 * its build) but only to targets inside the directory, and skips what is not served to racks:
 * names starting with `.`, and the top-level working directories of the image builder (`builds/`,
 * `logs/`, `cache/`) and of boot-resource imports and uploads (`synced/`, `uploads/`), whose
 * files are reachable through the published `<os>/<arch>/<series>` links anyway. Each look walks and stats the tree;
 * markers are re-read only when their stat changed, so looking is cheap (no hashing, few reads).
 */
import { createHash } from 'node:crypto';
import { hostname } from 'node:os';
import { readdir, readFile, realpath, stat } from 'node:fs/promises';
import { join, sep } from 'node:path';
import { isImagePath, type ManifestEntry, type RootIdentity } from '../rack/images/protocol.ts';

/** Top-level directories of the builder and of boot-resource imports/uploads, published through links. */
export const PRIVATE_TOP_DIRS = new Set(['builds', 'logs', 'cache', 'synced', 'uploads']);
const MARKER = /^([0-9a-f]{64})(\s|$)/i;
const MAX_FILES = 50_000;

export interface RegionManifest { digest: string; files: ManifestEntry[]; root?: RootIdentity; computedAt: number }

/** sha256 over the sorted (path, size, sha256) list. */
export function manifestDigest(files: readonly ManifestEntry[]): string {
  const h = createHash('sha256');
  for (const f of [...files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))) h.update(`${f.path}\0${f.size}\0${f.sha256}\n`);
  return h.digest('hex');
}

export class RegionImageManifest {
  private cached: RegionManifest | undefined;
  private computing: Promise<RegionManifest> | undefined;
  private readonly markers = new Map<string, { key: string; sha: string | null }>();

  /** `maxAgeMs` 0 (default): every call looks at the directory (concurrent calls share one look). */
  constructor(readonly root: string, private readonly maxAgeMs = 0) {}

  /** The current manifest (recomputed when older than `maxAgeMs`, or `fresh`). */
  async get(fresh = false): Promise<RegionManifest> {
    if (!fresh && this.cached && Date.now() - this.cached.computedAt < this.maxAgeMs) return this.cached;
    this.computing ??= this.compute().finally(() => { this.computing = undefined; });
    this.cached = await this.computing;
    return this.cached;
  }

  private async marker(file: string): Promise<string | null> {
    const st = await stat(file).catch(() => null);
    if (!st?.isFile()) { this.markers.delete(file); return null; }
    const key = `${st.ino}:${st.size}:${st.mtimeMs}`;
    const known = this.markers.get(file);
    if (known?.key === key) return known.sha;
    const text = await readFile(file, 'utf8').catch(() => '');
    const sha = MARKER.exec(text)?.[1]?.toLowerCase() ?? null;
    this.markers.set(file, { key, sha });
    return sha;
  }

  private async compute(): Promise<RegionManifest> {
    const files: ManifestEntry[] = [];
    const realRoot = await realpath(this.root).catch(() => null);
    if (!realRoot) return { digest: manifestDigest([]), files, computedAt: Date.now() };
    const rootStat = await stat(realRoot);
    const seenMarkers = new Set<string>();
    // `above`: the real directories on the way down (a link back up would loop).
    const walk = async (dir: string, prefix: string, depth: number, above: ReadonlySet<string>): Promise<void> => {
      const real = await realpath(dir).catch(() => null);
      if (!real || depth > 16 || above.has(real) || (real !== realRoot && !real.startsWith(realRoot + sep))) return;
      const path = new Set(above).add(real);
      const names = (await readdir(dir).catch(() => [] as string[])).sort();
      const nameSet = new Set(names);
      for (const name of names) {
        if (files.length >= MAX_FILES) return;
        if (name.startsWith('.') || (depth === 0 && PRIVATE_TOP_DIRS.has(name))) continue;
        if (name.endsWith('.sha256') || name.endsWith('.partial')) continue;
        const full = join(dir, name);
        const rel = prefix ? `${prefix}/${name}` : name;
        const st = await stat(full).catch(() => null); // follows links
        if (!st) continue;
        if (st.isDirectory()) { await walk(full, rel, depth + 1, path); continue; }
        if (!st.isFile() || !nameSet.has(`${name}.sha256`) || nameSet.has(`${name}.partial`) || !isImagePath(rel)) continue;
        const target = await realpath(full).catch(() => null);
        if (!target?.startsWith(realRoot + sep)) continue;
        seenMarkers.add(`${full}.sha256`);
        const sha = await this.marker(`${full}.sha256`);
        if (sha) files.push({ path: rel, size: st.size, sha256: sha, mtime: Math.floor(st.mtimeMs) });
      }
    };
    await walk(realRoot, '', 0, new Set());
    for (const k of [...this.markers.keys()]) if (!seenMarkers.has(k)) this.markers.delete(k);
    return {
      digest: manifestDigest(files), files, computedAt: Date.now(),
      root: { host: hostname(), dev: String(rootStat.dev), ino: String(rootStat.ino) },
    };
  }
}
