/**
 * Names, file types and the images-directory rules boot resources live by.
 *
 * A resource `<os>/<series>` for architecture `<arch>/<subarch>` has its files at
 * `<os>/<arch>/<series>/<filetype>` (src/domain/boot/images.ts; the file is named by its type). The
 * rack serves a file only when `<file>.sha256` exists beside it and no `<file>.partial` does
 * (src/edges/rack/http/files.ts), so files are placed in that order: marker removed, the complete
 * file renamed in, marker written (itself renamed in, so it is never half-written).
 */
import { existsSync, lstatSync, mkdirSync, readFileSync, renameSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { invalid } from '../../domain/errors.ts';
import type { FileType } from '../../store/repos/boot-resources.ts';

/** File types that may sit in a series directory, by their layout names. */
export const LAYOUT_FILES: readonly FileType[] = ['root-tgz', 'root-dd', 'root-dd.gz', 'squashfs', 'boot-kernel', 'boot-initrd'];

/** MAAS's upload `filetype` names that Plinth stores (MAAS's others: tbz, txz, ddtbz, ddtxz, ddtar, ddbz2, ddxz, ddraw). */
export const UPLOAD_FILETYPES: Record<string, FileType> = { tgz: 'root-tgz', ddtgz: 'root-dd', ddgz: 'root-dd.gz', squashfs: 'squashfs' };

/** A name or series part: what deploy accepts as an osystem or distro_series. */
export const NAME_PART = /^[a-z0-9][a-z0-9._+-]{0,63}$/i;
const ARCH = /^[a-z0-9_]{1,32}$/;
const SUBARCH = /^[a-z0-9][a-z0-9._-]{0,63}$/i;

/** Top-level entries of the images directory that are not operating systems. */
export const NOT_OS_DIRS = new Set(['builds', 'logs', 'cache', 'synced', 'uploads']);

export interface ResourceName { os: string; series: string; name: string }

/** `foo` → `custom/foo` (as MAAS does); `os/series` checked part by part. */
export function parseResourceName(raw: string, field = 'name'): ResourceName {
  const full = raw.includes('/') ? raw : `custom/${raw}`;
  const parts = full.split('/');
  if (parts.length !== 2 || !NAME_PART.test(parts[0]) || !NAME_PART.test(parts[1]) || NOT_OS_DIRS.has(parts[0]) || parts[0] === 'ephemeral') {
    throw invalid({ [field]: [`'${raw}' is not a valid boot resource name: use <name> or <os>/<series> (letters, digits, '.', '_', '+', '-'; not builds/, logs/, cache/, synced/, uploads/ or ephemeral/).`] });
  }
  return { os: parts[0], series: parts[1], name: full };
}

/** `amd64/generic` → its parts; a bare `amd64` means `amd64/generic`. */
export function parseArchitecture(raw: string, field = 'architecture'): { arch: string; subarch: string; architecture: string } {
  const [arch, subarch = 'generic', ...rest] = raw.split('/');
  if (rest.length || !ARCH.test(arch) || !SUBARCH.test(subarch)) {
    throw invalid({ [field]: [`'${raw}' is not a valid architecture: use <arch>/<subarch>, e.g. amd64/generic.`] });
  }
  return { arch, subarch, architecture: `${arch}/${subarch}` };
}

export const seriesDir = (os: string, arch: string, series: string) => `${os}/${arch}/${series}`;
export const archOf = (architecture: string) => architecture.split('/')[0];

const MARKER = /^([0-9a-f]{64})(\s|$)/i;

/** The checksum a marker holds, or null (missing or malformed). */
export function readMarker(file: string): string | null {
  try {
    return MARKER.exec(readFileSync(`${file}.sha256`, 'utf8'))?.[1].toLowerCase() ?? null;
  } catch {
    return null;
  }
}

export function writeMarker(file: string, sha256: string): void {
  const tmp = `${file}.sha256.tmp-${process.pid}`;
  writeFileSync(tmp, `${sha256}  ${basename(file)}\n`);
  renameSync(tmp, `${file}.sha256`);
}

/** True when `rel` is a directory of its own (not a published symlink) or absent. */
export function isPlainOrAbsent(imagesDir: string, rel: string): boolean {
  const full = join(imagesDir, rel);
  try {
    return !lstatSync(full).isSymbolicLink();
  } catch {
    return true;
  }
}

/** Moves a complete file (same filesystem) to `rel` under the images directory, then marks it. */
export function placeFile(imagesDir: string, from: string, rel: string, sha256: string): void {
  const to = join(imagesDir, rel);
  mkdirSync(dirname(to), { recursive: true });
  rmSync(`${to}.sha256`, { force: true });
  renameSync(from, to);
  writeMarker(to, sha256);
}

/** Removes a file the way the rack expects: marker first, then the file and any partial. */
export function removeFile(imagesDir: string, rel: string): void {
  const full = join(imagesDir, rel);
  rmSync(`${full}.sha256`, { force: true });
  rmSync(full, { force: true });
  rmSync(`${full}.partial`, { force: true });
}

/** Removes directories left empty up to (not including) the images directory. */
export function pruneEmptyDirs(imagesDir: string, rel: string): void {
  let dir = rel;
  while (dir && dir !== '.' && dir !== '/') {
    const full = join(imagesDir, dir);
    try {
      if (!existsSync(full) || lstatSync(full).isSymbolicLink()) break;
      rmdirSync(full); // only when empty
    } catch {
      break;
    }
    dir = dirname(dir);
  }
}
