/**
 * Receiving an image: bytes go to a temporary file in the images directory's `uploads/` (the same
 * filesystem, so the finished file is renamed into place), their sha256 and size computed as they
 * arrive. Nothing is held in memory beyond the chunk being written.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { open, rm, statfs } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { badRequest } from '../../domain/errors.ts';

export interface SpooledFile { path: string; sha256: string; size: number }

export interface Spool {
  readonly path: string;
  readonly size: number;
  write(chunk: Buffer): Promise<void>;
  finish(): Promise<SpooledFile>;
  abort(): Promise<void>;
}

export const uploadsDir = (imagesDir: string) => join(imagesDir, 'uploads');

/** Refuses a declared size the images directory's filesystem has no room for. */
export async function checkFreeSpace(imagesDir: string, bytes: number): Promise<void> {
  mkdirSync(uploadsDir(imagesDir), { recursive: true });
  const fs = await statfs(uploadsDir(imagesDir));
  const free = fs.bavail * fs.bsize;
  if (bytes > free) throw badRequest(`Not enough free space in the images directory: ${bytes} bytes needed, ${free} available.`);
}

/** `maxBytes`: more than that is refused (the declared size, when the client gave one). */
export async function openSpool(imagesDir: string, maxBytes = Number.MAX_SAFE_INTEGER): Promise<Spool> {
  mkdirSync(uploadsDir(imagesDir), { recursive: true });
  const path = join(uploadsDir(imagesDir), `${Date.now()}-${randomBytes(6).toString('hex')}.partial`);
  const handle = await open(path, 'wx', 0o644);
  const hash = createHash('sha256');
  let size = 0;
  let closed = false;
  const close = async () => { if (!closed) { closed = true; await handle.close(); } };
  return {
    path,
    get size() { return size; },
    async write(chunk) {
      if (size + chunk.length > maxBytes) throw badRequest('Too much data received.');
      hash.update(chunk);
      let off = 0;
      while (off < chunk.length) off += (await handle.write(chunk, off, chunk.length - off)).bytesWritten;
      size += chunk.length;
    },
    async finish() {
      await handle.sync();
      await close();
      return { path, sha256: hash.digest('hex'), size };
    },
    async abort() {
      await close().catch(() => undefined);
      await rm(path, { force: true });
    },
  };
}

/** A whole stream into a spool (in-memory bodies of the plain API route, mirror copies). */
export async function spoolStream(imagesDir: string, source: Readable | Iterable<Buffer>, maxBytes?: number): Promise<SpooledFile> {
  const spool = await openSpool(imagesDir, maxBytes);
  try {
    for await (const chunk of source as AsyncIterable<Buffer>) await spool.write(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
    return await spool.finish();
  } catch (err) {
    await spool.abort();
    throw err;
  }
}
