/**
 * Copying one mirror file into the images directory, resumably: bytes are appended to
 * `<file>.partial`, so an interrupted copy (stopped, crashed, killed) continues where it stopped.
 * The bytes already there are hashed again first, then the rest streams from the mirror; a complete
 * file whose sha256 and size match is renamed to its name and marked. A mismatch discards it.
 */
import { createHash } from 'node:crypto';
import { createReadStream, mkdirSync } from 'node:fs';
import { open, rename, rm, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { readMarker, writeMarker } from './layout.ts';
import type { Mirror, MirrorItem } from './simplestreams.ts';

export class CopyStopped extends Error {
  constructor() { super('stopped'); }
}

export interface CopyHooks {
  /** Called as bytes arrive (bytes present so far); may be throttled by the caller. */
  progress?(present: number): Promise<void> | void;
  /** Checked between chunks; true stops the copy (the partial file stays for the next run). */
  shouldStop?(): boolean;
}

export interface CopyResult { copied: number; resumedAt: number; skipped: boolean }

/** True when `file` is already there, complete and marked with this checksum. */
export async function alreadyThere(file: string, item: MirrorItem): Promise<boolean> {
  const st = await stat(file).catch(() => null);
  return !!st?.isFile() && st.size === item.size && readMarker(file) === item.sha256;
}

export async function partialSize(file: string): Promise<number> {
  return (await stat(`${file}.partial`).catch(() => null))?.size ?? 0;
}

export async function copyItem(mirror: Mirror, item: MirrorItem, file: string, hooks: CopyHooks = {}): Promise<CopyResult> {
  if (await alreadyThere(file, item)) return { copied: 0, resumedAt: item.size, skipped: true };
  mkdirSync(dirname(file), { recursive: true });
  const partial = `${file}.partial`;
  let offset = await partialSize(file);
  if (offset > item.size) { await rm(partial, { force: true }); offset = 0; }
  const hash = createHash('sha256');
  if (offset > 0) for await (const c of createReadStream(partial, { end: offset - 1, highWaterMark: 1 << 20 })) hash.update(c as Buffer);
  const resumedAt = offset;
  let copied = 0;
  if (offset < item.size) {
    const handle = await open(partial, 'a', 0o644);
    try {
      for await (const c of await mirror.open(item.path, offset)) {
        if (hooks.shouldStop?.()) throw new CopyStopped();
        const chunk = c as Buffer;
        if (offset + copied + chunk.length > item.size) throw new Error(`${item.path} is larger than the ${item.size} bytes the mirror's products file says`);
        hash.update(chunk);
        let off = 0;
        while (off < chunk.length) off += (await handle.write(chunk, off, chunk.length - off)).bytesWritten;
        copied += chunk.length;
        await hooks.progress?.(offset + copied);
      }
      await handle.sync();
    } finally {
      await handle.close();
    }
  }
  const total = offset + copied;
  if (total !== item.size) {
    await rm(partial, { force: true });
    throw new Error(`${item.path}: the mirror gave ${total} bytes, its products file says ${item.size}`);
  }
  const sha = hash.digest('hex');
  if (sha !== item.sha256) {
    await rm(partial, { force: true });
    throw new Error(`${item.path}: sha256 ${sha} does not match the mirror's products file (${item.sha256})`);
  }
  await rm(`${file}.sha256`, { force: true });
  await rename(partial, file);
  writeMarker(file, sha);
  return { copied, resumedAt, skipped: false };
}
