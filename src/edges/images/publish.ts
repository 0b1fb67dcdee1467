/**
 * Making a finished build what the rack serves. The images directory layout is the region's
 * (src/domain/boot/images.ts): each `<os>/<arch>/<series>` directory is a symlink to the build
 * directory, which carries links with the layout's file names. Swapping the symlink with rename(2)
 * switches kernel, initrd and squashfs together, never one at a time.
 */
import { existsSync, lstatSync, mkdirSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { EPHEMERAL_FILES, DEPLOY_ROOT_TGZ } from '../../domain/boot/images.ts';
import { ImageError } from './errors.ts';
import type { ImageKind } from './profiles.ts';

/** Layout name → build file name, per kind. */
export const LAYOUT_LINKS: Record<ImageKind, Record<string, string>> = {
  ephemeral: { [EPHEMERAL_FILES.kernel]: 'vmlinuz', [EPHEMERAL_FILES.initrd]: 'initrd', [EPHEMERAL_FILES.squashfs]: 'squashfs' },
  debian: { [DEPLOY_ROOT_TGZ]: 'root.tgz' },
};

export const seriesDir = (outDir: string, kind: ImageKind, arch: string, suite: string) => join(outDir, kind, arch, suite);

/** Adds the layout-named links inside a (not yet published) build directory. */
export function addLayoutLinks(buildDir: string, kind: ImageKind) {
  for (const [name, target] of Object.entries(LAYOUT_LINKS[kind])) {
    if (name !== target) symlinkSync(target, join(buildDir, name));
  }
}

/**
 * The rack serves `images/<path>` only when `<path>.sha256` exists beside it (src/edges/rack/http/files.ts:
 * the marker says the file is complete). Written for every layout name, from the build's own checksums;
 * idempotent, so builds made before markers existed get them when they are published again.
 */
export function writeChecksumMarkers(buildDir: string, kind: ImageKind, outputs: ReadonlyArray<{ name: string; sha256: string }>) {
  for (const [name, target] of Object.entries(LAYOUT_LINKS[kind])) {
    const out = outputs.find((f) => f.name === target);
    if (!out) throw new ImageError('bad_root', `the build has no ${target} to publish as ${name}`);
    const marker = join(buildDir, `${name}.sha256`);
    if (!existsSync(marker)) writeFileSync(marker, `${out.sha256}  ${name}\n`);
  }
}

export function publish(outDir: string, kind: ImageKind, arch: string, suite: string, buildDir: string): string {
  const dest = seriesDir(outDir, kind, arch, suite);
  mkdirSync(dirname(dest), { recursive: true });
  if (existsSync(dest) && !lstatSync(dest).isSymbolicLink()) {
    throw new ImageError('bad_option', `${dest} exists and is not a link to a build; move it away to publish this build`);
  }
  const tmp = `${dest}.tmp-${process.pid}`;
  rmSync(tmp, { force: true });
  symlinkSync(relative(dirname(dest), buildDir), tmp);
  renameSync(tmp, dest);
  return dest;
}
