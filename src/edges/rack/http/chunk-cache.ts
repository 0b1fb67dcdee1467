/**
 * Read-through cache of aligned file chunks, shared by every download of the same file.
 *
 * Node has no sendfile(2): each byte served is read into user space and written to a socket. When
 * a rack deploys many machines at once they all fetch the same image at about the same time, and
 * without sharing each download pays its own read of every chunk. With this cache, chunk k of a file
 * (octets k·size … (k+1)·size − 1) is read once and its buffer handed to every socket that needs it
 * while it is cached; later downloads of a chunk already evicted simply read it again.
 *
 * Chunks are keyed by the file's identity (OpenedFile.identity: device, inode, size, mtime and
 * ctime, so a rewritten file never matches) and index. Buffers are never reused or modified after
 * the read — a socket may still be writing one after eviction — so eviction only drops the
 * reference. The cache is bounded by octets held (least recently used out); concurrent requests for
 * a chunk being read wait for that one read.
 */
import type { FileHandle } from 'node:fs/promises';

export class ChunkCache {
  private readonly chunks = new Map<string, Buffer>();
  private readonly reading = new Map<string, Promise<Buffer>>();
  private held = 0;

  /** `maxBytes` 0 disables caching: every chunk is read for its own download. */
  constructor(readonly chunkBytes: number, private readonly maxBytes: number) {
    if (!(Number.isSafeInteger(chunkBytes) && chunkBytes > 0)) throw new RangeError('chunkBytes must be a positive integer');
  }

  /** Chunk `index` of the file behind `handle` (`size` octets, identified by `identity`). */
  get(identity: string, handle: FileHandle, size: number, index: number): Promise<Buffer> {
    if (this.maxBytes === 0) return readChunk(handle, size, index, this.chunkBytes);
    const key = `${index}|${identity}`;
    const hit = this.chunks.get(key);
    if (hit) {
      this.chunks.delete(key); // most recently used last
      this.chunks.set(key, hit);
      return Promise.resolve(hit);
    }
    const pending = this.reading.get(key);
    if (pending) return pending;
    const read = readChunk(handle, size, index, this.chunkBytes).then(
      (chunk) => { this.reading.delete(key); this.keep(key, chunk); return chunk; },
      (err: unknown) => { this.reading.delete(key); throw err; },
    );
    this.reading.set(key, read);
    return read;
  }

  /** Octets held. */
  get bytes(): number {
    return this.held;
  }

  private keep(key: string, chunk: Buffer): void {
    if (chunk.length > this.maxBytes) return;
    this.chunks.set(key, chunk);
    this.held += chunk.length;
    for (const [oldest, c] of this.chunks) {
      if (this.held <= this.maxBytes) break;
      this.chunks.delete(oldest);
      this.held -= c.length;
    }
  }
}

/** Reads chunk `index` whole (short reads are continued); fails if the file ends early. */
async function readChunk(handle: FileHandle, size: number, index: number, chunkBytes: number): Promise<Buffer> {
  const start = index * chunkBytes;
  const length = Math.min(chunkBytes, size - start);
  const buf = Buffer.allocUnsafe(length);
  let got = 0;
  while (got < length) {
    const { bytesRead } = await handle.read(buf, got, length - got, start + got);
    if (bytesRead === 0) throw new Error(`file shrank: ended at ${start + got} of ${size} octets`);
    got += bytesRead;
  }
  return buf;
}
