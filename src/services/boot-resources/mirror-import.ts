/**
 * Importing from a simplestreams mirror (`plinth images import --mirror DIR`, and `op=import` for a
 * boot source): the selected products, at their newest version, are copied into
 * `synced/<os>/<arch>/<series>/<version>/<ftype>` (resumable, checksummed: copy-item.ts) and recorded
 * as Synced resources whose file progress is kept in the store as it goes. When every file of a
 * version is complete, `<os>/<arch>/<series>` (the layout the racks serve) is pointed at it with one
 * rename(2), so kernel, initrd and root change together; earlier imported versions are then removed.
 *
 * Selection: the products matching the filters (`os`, `release`, `arch`, each a list; empty = all)
 * and, for a boot source, its selections (none = everything the mirror has). Of several subarches of
 * one os/release/arch, one is taken: `generic`, else a `ga-*`, else the first by name.
 */
import { existsSync, lstatSync, mkdirSync, readlinkSync, renameSync, rmSync, symlinkSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { bootResourcesRepo, type SelectionRow } from '../../store/repos/boot-resources.ts';
import type { ServiceContext } from '../context.ts';
import { copyItem, CopyStopped, partialSize, alreadyThere } from './copy-item.ts';
import { imagesDirOf } from './images-dir.ts';
import { NAME_PART, NOT_OS_DIRS, seriesDir } from './layout.ts';
import { openMirror, readProducts, type Mirror, type MirrorProduct } from './simplestreams.ts';

export interface ImportFilter { os?: string[]; release?: string[]; arch?: string[]; selections?: SelectionRow[] }
export interface ImportOptions {
  say?(line: string): void;
  /** Checked between chunks: true stops (partial files stay for the next run). */
  shouldStop?(): boolean;
  /** How often file progress is written to the store (default 1 s). */
  progressEveryMs?: number;
}
export interface ImportSummary {
  products: number; upToDate: number; filesCopied: number; filesResumed: number; bytes: number; stopped: boolean; errors: string[]; notes: string[];
}

const ARCH = /^[a-z0-9_]{1,32}$/;
const matches = (list: string[] | undefined, v: string) => !list?.length || list.includes('*') || list.includes(v);

function selected(p: MirrorProduct, f: ImportFilter): boolean {
  if (!matches(f.os, p.os) || !matches(f.release, p.release) || !matches(f.arch, p.arch)) return false;
  if (!f.selections?.length) return true;
  return f.selections.some((s) => s.os === p.os && s.release === p.release && matches(s.arches, p.arch)
    && (matches(s.subarches, p.subarch) || p.subarches.some((x) => matches(s.subarches, x))) && matches(s.labels, p.label));
}

const rank = (subarch: string) => (subarch === 'generic' ? 0 : subarch.startsWith('ga-') ? 1 : 2);

/** One product per os/release/arch. */
export function chooseProducts(products: MirrorProduct[], f: ImportFilter): MirrorProduct[] {
  const chosen = new Map<string, MirrorProduct>();
  for (const p of products.filter((x) => selected(x, f)).sort((a, b) => rank(a.subarch) - rank(b.subarch) || a.subarch.localeCompare(b.subarch))) {
    const key = `${p.os}/${p.release}/${p.arch}`;
    if (!chosen.has(key)) chosen.set(key, p);
  }
  return [...chosen.values()].sort((a, b) => `${a.os}/${a.release}/${a.arch}`.localeCompare(`${b.os}/${b.release}/${b.arch}`));
}

/** Where a published layout link points, relative to the images directory (null: not a link). */
function linkTarget(imagesDir: string, dir: string): string | null {
  const full = join(imagesDir, dir);
  try {
    return lstatSync(full).isSymbolicLink() ? relative(imagesDir, resolve(dirname(full), readlinkSync(full))) : null;
  } catch {
    return null;
  }
}

/** Points the layout directory at a version directory (atomic); refuses to replace a plain directory. */
function publishLink(imagesDir: string, dir: string, storeDir: string): void {
  const dest = join(imagesDir, dir);
  mkdirSync(dirname(dest), { recursive: true });
  if (existsSync(dest) && !lstatSync(dest).isSymbolicLink()) throw new Error(`${dir} is a directory of its own (an upload, or files placed by hand), not a published link: not replaced`);
  const tmp = `${dest}.tmp-${process.pid}`;
  rmSync(tmp, { force: true });
  symlinkSync(relative(dirname(dest), join(imagesDir, storeDir)), tmp);
  renameSync(tmp, dest);
}

async function importProduct(ctx: ServiceContext, imagesDir: string, mirror: Mirror, p: MirrorProduct, o: ImportOptions, sum: ImportSummary): Promise<void> {
  const name = `${p.os}/${p.release}`;
  const architecture = `${p.arch}/${p.subarch}`;
  const dir = seriesDir(p.os, p.arch, p.release);
  const storeDir = `synced/${dir}/${p.version}`;
  const say = (line: string) => o.say?.(`${name} ${architecture} ${p.version}: ${line}`);
  const claimed = await ctx.db.tx(async (q) => {
    // One resource per os/release/arch: another subarch imported earlier is the same images.
    const others = (await bootResourcesRepo.list(q)).filter((r) => r.name === name && r.architecture.split('/')[0] === p.arch && r.architecture !== architecture);
    if (others.some((r) => r.rtype === 'Uploaded')) return null;
    for (const r of others) await bootResourcesRepo.delete(q, r.id);
    let r = await bootResourcesRepo.lockByName(q, name, architecture);
    if (r?.rtype === 'Uploaded') return null;
    const fields = { rtype: 'Synced' as const, title: p.title, base_image: '', extra: { subarches: p.subarches.join(','), title: p.title } };
    if (r) await bootResourcesRepo.update(q, r.id, fields);
    else r = await bootResourcesRepo.insert(q, { ...fields, name, architecture });
    const set = (await bootResourcesRepo.setByVersion(q, r.id, p.version)) ?? await bootResourcesRepo.insertSet(q, r.id, p.version, p.label);
    const files = [];
    for (const it of p.items) {
      const file = join(imagesDir, storeDir, it.ftype);
      const done = await alreadyThere(file, it);
      files.push(await bootResourcesRepo.putFile(q, set.id, {
        filename: it.ftype, filetype: it.ftype, sha256: it.sha256, size: it.size, path: `${dir}/${it.ftype}`,
        complete: done, progress: done ? it.size : await partialSize(file), source: `${mirror.url} ${it.path}`,
      }));
    }
    return { resourceId: r.id, setId: set.id, files };
  });
  if (!claimed) { sum.errors.push(`${name} ${p.arch}: an uploaded resource has that name; not imported`); return; }
  if (claimed.files.every((f) => f.complete) && linkTarget(imagesDir, dir) === storeDir) { sum.upToDate++; say('up to date'); return; }
  for (const it of p.items) {
    const row = claimed.files.find((f) => f.filename === it.ftype)!;
    if (row.complete) continue;
    let last = 0;
    const every = o.progressEveryMs ?? 1000;
    const r = await copyItem(mirror, it, join(imagesDir, storeDir, it.ftype), {
      shouldStop: o.shouldStop,
      progress: async (present) => {
        if (Date.now() - last < every) return;
        last = Date.now();
        await bootResourcesRepo.setProgress(ctx.db, row.id, present, false);
      },
    });
    await bootResourcesRepo.setProgress(ctx.db, row.id, it.size, true);
    sum.bytes += r.copied;
    if (!r.skipped) sum.filesCopied++;
    if (r.resumedAt > 0 && !r.skipped) sum.filesResumed++;
    say(r.skipped ? `${it.ftype} already here` : `${it.ftype} ${(r.copied / 1048576).toFixed(1)} MiB copied${r.resumedAt ? ` (resumed at ${(r.resumedAt / 1048576).toFixed(1)} MiB)` : ''}`);
  }
  publishLink(imagesDir, dir, storeDir);
  await ctx.db.tx(async (q) => {
    const old = (await bootResourcesRepo.sets(q, [claimed.resourceId])).filter((s) => s.id !== claimed.setId);
    await bootResourcesRepo.deleteSetsExcept(q, claimed.resourceId, claimed.setId);
    await bootResourcesRepo.touch(q, claimed.resourceId);
    for (const s of old) if (NAME_PART.test(s.version)) rmSync(join(imagesDir, 'synced', dir, s.version), { recursive: true, force: true });
  });
  say(`published as ${dir}`);
}


export async function importMirror(ctx: ServiceContext, url: string, filter: ImportFilter = {}, o: ImportOptions = {}): Promise<ImportSummary> {
  const imagesDir = imagesDirOf(ctx);
  const sum: ImportSummary = { products: 0, upToDate: 0, filesCopied: 0, filesResumed: 0, bytes: 0, stopped: false, errors: [], notes: [] };
  const mirror = openMirror(url);
  const { products, notes } = await readProducts(mirror);
  sum.notes.push(...notes);
  for (const p of chooseProducts(products, filter)) {
    if (!NAME_PART.test(p.os) || NOT_OS_DIRS.has(p.os) || !NAME_PART.test(p.release) || !ARCH.test(p.arch) || !NAME_PART.test(p.version)) {
      sum.notes.push(`${p.id}: os, release, arch or version is not usable as a directory name; skipped`);
      continue;
    }
    sum.products++;
    try {
      await importProduct(ctx, imagesDir, mirror, p, o, sum);
    } catch (err) {
      if (err instanceof CopyStopped) { sum.stopped = true; o.say?.('stopped; partial files stay and the next import continues them'); break; }
      sum.errors.push(`${p.os}/${p.release} ${p.arch}: ${(err as Error).message}`);
    }
  }
  return sum;
}
