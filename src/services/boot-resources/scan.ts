/**
 * The region learns the images that are in its images directory without being imported or uploaded
 * through it: `plinth images build` publishes `<os>/<arch>/<series>` links to builds, and an operator
 * may place marked files by hand. Every series directory with at least one complete layout file (a
 * regular file with a valid `.sha256` marker and no `.partial`) becomes a Generated resource
 * `<os>/<series>` for `<arch>/generic`, its set versioned by the build date; a Generated resource
 * whose files are gone is forgotten. Directories published by an import (links into `synced/`) and
 * uploaded resources belong to those use cases and are left alone. Markers are trusted (the builder
 * and the rack write them after checking); files are not re-hashed.
 */
import { lstatSync, readdirSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { bootResourcesRepo, type BootFileRow, type FileType } from '../../store/repos/boot-resources.ts';
import type { ServiceContext } from '../context.ts';
import { imagesDirOf } from './images-dir.ts';
import { LAYOUT_FILES, NAME_PART, NOT_OS_DIRS, readMarker, seriesDir } from './layout.ts';

interface Found { name: string; architecture: string; dir: string; files: Array<{ filetype: FileType; sha256: string; size: number; mtime: Date }>; builtAt: Date | null }

export interface ScanResult { added: string[]; updated: string[]; removed: string[] }

const ARCH = /^[a-z0-9_]{1,32}$/;

function subdirs(path: string, ok: (name: string) => boolean): string[] {
  let entries: string[];
  try { entries = readdirSync(path); } catch { return []; }
  return entries.filter((n) => !n.startsWith('.') && ok(n) && (() => { try { return statSync(join(path, n)).isDirectory(); } catch { return false; } })()).sort();
}

function builtAt(dir: string): Date | null {
  try {
    const m = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as { builtAt?: string };
    const d = m.builtAt ? new Date(m.builtAt) : null;
    return d && !Number.isNaN(d.getTime()) ? d : null;
  } catch {
    return null;
  }
}

/** Series directories with complete files, and whether an import published them. */
function walk(imagesDir: string): Array<Found & { synced: boolean; plain: boolean }> {
  const out: Array<Found & { synced: boolean; plain: boolean }> = [];
  for (const os of subdirs(imagesDir, (n) => NAME_PART.test(n) && !NOT_OS_DIRS.has(n))) {
    for (const arch of subdirs(join(imagesDir, os), (n) => ARCH.test(n))) {
      for (const series of subdirs(join(imagesDir, os, arch), (n) => NAME_PART.test(n))) {
        const dir = seriesDir(os, arch, series);
        const full = join(imagesDir, dir);
        const files: Found['files'] = [];
        for (const filetype of LAYOUT_FILES) {
          const f = join(full, filetype);
          const st = (() => { try { return statSync(f); } catch { return null; } })();
          if (!st?.isFile()) continue;
          if ((() => { try { statSync(`${f}.partial`); return true; } catch { return false; } })()) continue;
          const sha256 = readMarker(f);
          if (sha256) files.push({ filetype, sha256, size: st.size, mtime: statSync(`${f}.sha256`).mtime });
        }
        if (!files.length) continue;
        const link = lstatSync(full).isSymbolicLink() ? readlinkSync(full) : null;
        out.push({
          name: `${os}/${series}`, architecture: `${arch}/generic`, dir, files, builtAt: builtAt(full),
          synced: link !== null && /(^|\/)synced\//.test(link), plain: link === null,
        });
      }
    }
  }
  return out;
}

const ymd = (d: Date) => `${d.getUTCFullYear()}${String(d.getUTCMonth() + 1).padStart(2, '0')}${String(d.getUTCDate()).padStart(2, '0')}`;
const sameFiles = (a: BootFileRow[], b: Found['files']) =>
  a.length === b.length && b.every((f) => a.some((x) => x.filetype === f.filetype && x.sha256 === f.sha256 && x.size === f.size && x.complete));

export async function scanImages(ctx: ServiceContext): Promise<ScanResult> {
  const imagesDir = imagesDirOf(ctx);
  const found = walk(imagesDir);
  const result: ScanResult = { added: [], updated: [], removed: [] };
  const seen = new Set<string>();
  for (const f of found) {
    const key = `${f.name} ${f.architecture}`;
    if (f.synced) continue;
    await ctx.db.tx(async (q) => {
      const r = await bootResourcesRepo.lockByName(q, f.name, f.architecture);
      if (r?.rtype === 'Uploaded' && f.plain) { seen.add(key); return; }
      seen.add(key);
      if (r?.rtype === 'Synced') {
        // A build published over an import takes it over, unless that import is still copying.
        const pending = (await bootResourcesRepo.files(q, (await bootResourcesRepo.sets(q, [r.id])).map((s) => s.id))).some((x) => !x.complete);
        if (f.plain || pending) return;
      }
      const resource = r ?? await bootResourcesRepo.insert(q, { rtype: 'Generated', name: f.name, architecture: f.architecture, title: f.name });
      if (r && r.rtype !== 'Generated') await bootResourcesRepo.update(q, r.id, { rtype: 'Generated', title: f.name, base_image: r.base_image, extra: {} });
      const sets = await bootResourcesRepo.sets(q, [resource.id]);
      const current = sets[0] ? await bootResourcesRepo.files(q, [sets[0].id]) : [];
      if (sets[0] && r?.rtype === 'Generated' && sameFiles(current, f.files)) return;
      const when = f.builtAt ?? new Date(Math.max(...f.files.map((x) => x.mtime.getTime())));
      let version = ymd(when);
      for (let n = 1; sets.some((s) => s.version === version); n++) version = `${ymd(when)}.${n}`;
      const set = await bootResourcesRepo.insertSet(q, resource.id, version, 'local');
      for (const x of f.files) {
        await bootResourcesRepo.putFile(q, set.id, { filename: x.filetype, filetype: x.filetype, sha256: x.sha256, size: x.size, path: `${f.dir}/${x.filetype}`, complete: true, progress: x.size });
      }
      // The files belong to the build: only the records of earlier sets go.
      await bootResourcesRepo.deleteSetsExcept(q, resource.id, set.id);
      await bootResourcesRepo.touch(q, resource.id);
      (r ? result.updated : result.added).push(key);
    });
  }
  for (const r of await bootResourcesRepo.list(ctx.db, 'Generated')) {
    const key = `${r.name} ${r.architecture}`;
    if (seen.has(key)) continue;
    await bootResourcesRepo.delete(ctx.db, r.id);
    result.removed.push(key);
  }
  return result;
}
