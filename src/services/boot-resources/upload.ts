/**
 * `POST boot-resources/` (admin): a custom image. With its content (already spooled to a temporary
 * file, sha256 and size computed as it arrived) the file is checked against the declared sha256 and
 * size, renamed into `<os>/<arch>/<series>/<filetype>` and marked; without content (the `maas` CLI and
 * python-libmaas send sha256 and size first, then the bytes in chunks to the file's upload_uri) the
 * file is recorded incomplete. A name without `/` is `custom/<name>`, as in MAAS.
 *
 * Uploading again under the same name and architecture makes a new set (version YYYYMMDD, then
 * YYYYMMDD.1, …); the previous set and its files go once the new file is complete.
 */
import { rmSync } from 'node:fs';
import { badRequest, conflict, forbidden, invalid } from '../../domain/errors.ts';
import { bootResourcesRepo, type BootResourceRow, type FileType } from '../../store/repos/boot-resources.ts';
import type { Actor, Queryable, ServiceContext } from '../context.ts';
import { imagesDirOf } from './images-dir.ts';
import { isPlainOrAbsent, parseArchitecture, parseResourceName, placeFile, pruneEmptyDirs, removeFile, seriesDir, UPLOAD_FILETYPES } from './layout.ts';
import { checkFreeSpace, type SpooledFile } from './spool.ts';

export interface CreateResourceInput {
  name?: string; architecture?: string; title?: string; filetype?: string; base_image?: string; sha256?: string; size?: number;
}

const SHA256 = /^[0-9a-f]{64}$/;

interface Checked { name: ReturnType<typeof parseResourceName>; arch: ReturnType<typeof parseArchitecture>; filetype: FileType; sha256?: string; size?: number }

/** Field checks before anything is stored (MAAS's form errors). */
export function checkCreateInput(input: CreateResourceInput, hasContent: boolean): Checked {
  const errors: Record<string, string[]> = {};
  if (!input.name?.trim()) errors.name = ['This field is required.'];
  if (!input.architecture?.trim()) errors.architecture = ['This field is required.'];
  const ft = (input.filetype ?? 'tgz').trim().toLowerCase() || 'tgz';
  if (!UPLOAD_FILETYPES[ft]) errors.filetype = [`'${ft}' is not a file type Plinth stores: use ${Object.keys(UPLOAD_FILETYPES).join(', ')}.`];
  const sha256 = input.sha256?.trim().toLowerCase() || undefined;
  if (sha256 !== undefined && !SHA256.test(sha256)) errors.sha256 = ['Enter the sha256 as 64 hexadecimal digits.'];
  if (input.size !== undefined && (!Number.isSafeInteger(input.size) || input.size < 0)) errors.size = ['Enter the size in bytes (a whole number, 0 or more).'];
  if (!hasContent) {
    if (sha256 === undefined && !errors.sha256) errors.sha256 = ['This field is required when no content is sent (it is uploaded in chunks afterwards).'];
    if (input.size === undefined && !errors.size) errors.size = ['This field is required when no content is sent (it is uploaded in chunks afterwards).'];
  }
  if (Object.keys(errors).length) throw invalid(errors);
  return { name: parseResourceName(input.name!.trim()), arch: parseArchitecture(input.architecture!.trim()), filetype: UPLOAD_FILETYPES[ft], sha256, size: input.size };
}

const today = (d: Date) => `${d.getUTCFullYear()}${String(d.getUTCMonth() + 1).padStart(2, '0')}${String(d.getUTCDate()).padStart(2, '0')}`;

async function nextVersion(q: Queryable, resourceId: number, now: Date): Promise<string> {
  const base = today(now);
  for (let n = 0; ; n++) {
    const v = n ? `${base}.${n}` : base;
    if (!(await bootResourcesRepo.setByVersion(q, resourceId, v))) return v;
  }
}

/**
 * Once a set's file is complete: the resource's other sets are dropped, and their files too unless
 * the new file took their place (same layout path).
 */
export async function dropOtherSets(q: Queryable, imagesDir: string, resourceId: number, keepSetId: number): Promise<void> {
  const sets = await bootResourcesRepo.sets(q, [resourceId]);
  const keep = await bootResourcesRepo.files(q, [keepSetId]);
  const old = await bootResourcesRepo.files(q, sets.filter((s) => s.id !== keepSetId).map((s) => s.id));
  await bootResourcesRepo.deleteSetsExcept(q, resourceId, keepSetId);
  for (const f of old) {
    if (keep.some((k) => k.path === f.path)) continue;
    removeFile(imagesDir, f.path);
    pruneEmptyDirs(imagesDir, f.path.split('/').slice(0, -1).join('/'));
  }
}

/** Creates (or adds a set to) an Uploaded resource; returns it. `content` is consumed (moved or removed). */
export async function createUploadedResource(ctx: ServiceContext, actor: Actor, input: CreateResourceInput, content: SpooledFile | null): Promise<BootResourceRow> {
  try {
    if (!actor.isAdmin) throw forbidden();
    const c = checkCreateInput(input, content !== null);
    const imagesDir = imagesDirOf(ctx);
    if (content) {
      if (c.size !== undefined && content.size !== c.size) throw badRequest(`Saved content does not match given size: received ${content.size} bytes, expected ${c.size}.`);
      if (c.sha256 !== undefined && content.sha256 !== c.sha256) throw badRequest('Saved content does not match given SHA256 value.');
    } else {
      await checkFreeSpace(imagesDir, c.size!);
    }
    const dir = seriesDir(c.name.os, c.arch.arch, c.name.series);
    if (!isPlainOrAbsent(imagesDir, dir)) {
      throw conflict(`${dir} in the images directory is published by a build or an import; delete that boot resource before uploading ${c.name.name}.`);
    }
    const sha256 = content?.sha256 ?? c.sha256!;
    const size = content?.size ?? c.size!;
    const title = input.title?.trim() || c.name.series;
    return await ctx.db.tx(async (q) => {
      let r = await bootResourcesRepo.lockByName(q, c.name.name, c.arch.architecture);
      if (r && r.rtype !== 'Uploaded') {
        throw conflict(`A ${r.rtype} boot resource ${c.name.name} for ${c.arch.architecture} already exists; delete it before uploading one of that name.`);
      }
      const fields = { rtype: 'Uploaded' as const, base_image: input.base_image?.trim() ?? '', title };
      if (r) await bootResourcesRepo.update(q, r.id, fields);
      else r = await bootResourcesRepo.insert(q, { ...fields, name: c.name.name, architecture: c.arch.architecture });
      const set = await bootResourcesRepo.insertSet(q, r.id, await nextVersion(q, r.id, ctx.now()), 'uploaded');
      const path = `${dir}/${c.filetype}`;
      await bootResourcesRepo.putFile(q, set.id, { filename: c.filetype, filetype: c.filetype, sha256, size, path, complete: content !== null, progress: content ? size : 0 });
      if (content) {
        placeFile(imagesDir, content.path, path, sha256);
        await dropOtherSets(q, imagesDir, r.id, set.id);
      }
      return r;
    });
  } finally {
    if (content) rmSync(content.path, { force: true }); // gone already when it was placed
  }
}
