/**
 * `DELETE boot-resources/{id}/` (admin): the resource, its sets and its files. Files go the way the
 * rack expects (marker first). Synced: the published link and the imported versions. Generated: the
 * published link only; the build itself stays in `builds/` (the builder's cache: the next
 * `plinth images build` of the same inputs publishes it again). Uploaded: its files and any chunks.
 */
import { lstatSync, readlinkSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { forbidden } from '../../domain/errors.ts';
import { bootResourcesRepo } from '../../store/repos/boot-resources.ts';
import type { Actor, ServiceContext } from '../context.ts';
import { imagesDirOf } from './images-dir.ts';
import { archOf, NAME_PART, pruneEmptyDirs, removeFile, seriesDir } from './layout.ts';
import { getResource } from './queries.ts';
import { uploadsDir } from './spool.ts';

function unlinkIfLink(path: string): boolean {
  try {
    if (!lstatSync(path).isSymbolicLink()) return false;
  } catch {
    return false;
  }
  rmSync(path, { force: true });
  return true;
}

export async function deleteResource(ctx: ServiceContext, actor: Actor, rawId: string): Promise<void> {
  if (!actor.isAdmin) throw forbidden();
  const { resource, sets } = await getResource(ctx, rawId);
  const imagesDir = imagesDirOf(ctx);
  const [os, series] = resource.name.split('/');
  const dir = seriesDir(os, archOf(resource.architecture), series);
  const files = sets.flatMap((s) => s.files);
  await bootResourcesRepo.delete(ctx.db, resource.id);
  if (resource.rtype === 'Uploaded') {
    for (const f of files) {
      removeFile(imagesDir, f.path);
      rmSync(join(uploadsDir(imagesDir), `file-${f.id}.partial`), { force: true });
    }
    pruneEmptyDirs(imagesDir, dir);
    return;
  }
  const link = join(imagesDir, dir);
  let target = '';
  try { target = readlinkSync(link); } catch { /* not a link */ }
  if (resource.rtype === 'Synced') {
    // Only the link this import made; a build published since then stays.
    if (!target || target.includes('/synced/')) unlinkIfLink(link);
    // A stored name never escapes the images directory, but check before removing a tree.
    if (NAME_PART.test(os) && NAME_PART.test(series)) rmSync(join(imagesDir, 'synced', dir), { recursive: true, force: true });
  } else if (!unlinkIfLink(link)) {
    for (const f of files) removeFile(imagesDir, f.path); // a plain directory someone put there
  }
  pruneEmptyDirs(imagesDir, dir.split('/').slice(0, -1).join('/'));
}
