/**
 * `PUT boot-resources/{id}/upload/{file_id}/` (admin): one chunk of an Uploaded file, appended to
 * `uploads/file-<id>.partial` (which survives a restart: the next chunk continues after what is on
 * disk). The chunk that completes the declared size has the whole file's sha256 checked; a match is
 * renamed into place and marked, a mismatch is discarded. MAAS's refusals and their texts.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { badRequest, forbidden, noMatch } from '../../domain/errors.ts';
import { bootResourcesRepo } from '../../store/repos/boot-resources.ts';
import type { Actor, ServiceContext } from '../context.ts';
import { imagesDirOf } from './images-dir.ts';
import { placeFile } from './layout.ts';
import { uploadsDir } from './spool.ts';
import { dropOtherSets } from './upload.ts';

const locks = new Map<number, Promise<unknown>>();

/** One chunk at a time per file (in this process). */
function serialised<T>(fileId: number, fn: () => Promise<T>): Promise<T> {
  const run = (locks.get(fileId) ?? Promise.resolve()).then(fn, fn);
  const tail = run.catch(() => undefined);
  locks.set(fileId, tail);
  void tail.then(() => { if (locks.get(fileId) === tail) locks.delete(fileId); });
  return run;
}

async function sha256Of(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

const asId = (raw: string) => { const n = Number(raw); return Number.isSafeInteger(n) && n > 0 && n < 2 ** 31 ? n : 0; };

export interface ChunkResult { received: number; total: number; complete: boolean }

export async function uploadChunk(ctx: ServiceContext, actor: Actor, rawResourceId: string, rawFileId: string, contentLength: number | undefined, body: AsyncIterable<Buffer>): Promise<ChunkResult> {
  if (!actor.isAdmin) throw forbidden();
  const resource = await bootResourcesRepo.byId(ctx.db, asId(rawResourceId));
  if (!resource) throw noMatch('BootResource');
  const file = await bootResourcesRepo.fileById(ctx.db, asId(rawFileId));
  const sets = file ? await bootResourcesRepo.sets(ctx.db, [resource.id]) : [];
  if (!file || !sets.some((s) => s.id === file.set_id)) throw noMatch('BootResourceFile');
  if (!contentLength) throw badRequest('Missing data.');
  if (resource.rtype !== 'Uploaded') throw forbidden(`Cannot upload to a resource of type: ${resource.rtype}.`);
  const imagesDir = imagesDirOf(ctx);
  return serialised(file.id, async () => {
    const current = await bootResourcesRepo.fileById(ctx.db, file.id);
    if (!current || current.complete) throw badRequest('Cannot upload to a complete file.');
    const partial = join(uploadsDir(imagesDir), `file-${file.id}.partial`);
    const offset = (await stat(partial).catch(() => null))?.size ?? 0;
    if (offset + contentLength > file.size) throw badRequest('Too much data received.');
    const handle = await open(partial, 'a', 0o644);
    let received = 0;
    try {
      for await (const chunk of body) {
        received += chunk.length;
        if (received > contentLength) break;
        let off = 0;
        while (off < chunk.length) off += (await handle.write(chunk, off, chunk.length - off)).bytesWritten;
      }
      if (received !== contentLength) {
        await handle.truncate(offset);
        throw badRequest("Content-Length doesn't equal size of received data.");
      }
      await handle.sync();
    } finally {
      await handle.close();
    }
    const total = offset + received;
    if (total < file.size) {
      await bootResourcesRepo.setProgress(ctx.db, file.id, total, false);
      return { received, total, complete: false };
    }
    if ((await sha256Of(partial)) !== file.sha256) {
      await rm(partial, { force: true });
      await bootResourcesRepo.setProgress(ctx.db, file.id, 0, false);
      throw badRequest('Saved content does not match given SHA256 value.');
    }
    await ctx.db.tx(async (q) => {
      await bootResourcesRepo.setProgress(q, file.id, total, true);
      placeFile(imagesDir, partial, file.path, file.sha256);
      await dropOtherSets(q, imagesDir, resource.id, file.set_id);
      await bootResourcesRepo.touch(q, resource.id);
    });
    return { received, total, complete: true };
  });
}
