/**
 * Small files kept in memory as ready-to-send DATA packets, shared by every transfer.
 *
 * Bootloaders (pxelinux.0, lpxelinux.0, bootx64.efi, grubx64.efi, ipxe.efi: tens of KiB to a few
 * MiB) are what every machine of a rack fetches, often hundreds at once. Without a cache each
 * transfer re-reads the file through the thread pool and builds a packet per block; with it, the
 * file is read once and block n of a given block size is the same bytes for every client —
 * header included, since blocks are numbered from 1 for every transfer (the 16-bit wire number is
 * n mod 65536) — so a transfer only slices and sends.
 *
 * Entries are keyed by the backend's file identity (StreamedFile.cacheKey: path, inode, size and
 * mtime, so a replaced file is a new entry) plus the block size. The cache is bounded by the octets
 * it holds (least recently used first out); files larger than `maxFileBytes` are never cached and
 * stream as before. Concurrent first requests for one entry share a single read. A file whose
 * stream does not deliver exactly its announced size is served as read but not kept.
 */
import type { Readable } from 'node:stream';
import { MAX_BLOCK } from './packet.ts';
import type { BlockSource } from './blocks.ts';

export interface EncodedFile {
  /** Every DATA packet, back to back: packet n (from 1) starts at (n − 1) · (blockSize + 4). */
  readonly packets: Buffer;
  readonly blockSize: number;
  /** Number of blocks, the last shorter than blockSize (possibly empty: RFC 1350 §6). */
  readonly blocks: number;
}

export interface PacketCacheLimits {
  /** Octets held in total (default 64 MiB; 0 disables the cache). */
  maxBytes: number;
  /** Largest file cached (default 8 MiB). */
  maxFileBytes: number;
}

const DATA = 3;

/** Encodes a whole file as DATA packets for one block size. */
export function encodeFile(data: Buffer, blockSize: number): EncodedFile {
  const blocks = Math.floor(data.length / blockSize) + 1;
  const stride = blockSize + 4;
  const packets = Buffer.allocUnsafe(data.length + 4 * blocks);
  for (let n = 1; n <= blocks; n += 1) {
    const at = (n - 1) * stride;
    packets.writeUInt16BE(DATA, at);
    packets.writeUInt16BE(n & MAX_BLOCK, at + 2);
    data.copy(packets, at + 4, (n - 1) * blockSize, Math.min(n * blockSize, data.length));
  }
  return { packets, blockSize, blocks };
}

/** DATA packet of block n (from 1) of an encoded file. */
export function encodedPacket(file: EncodedFile, n: number): Buffer {
  const stride = file.blockSize + 4;
  const start = (n - 1) * stride;
  return file.packets.subarray(start, Math.min(start + stride, file.packets.length));
}

/**
 * A BlockSource over an encoded file. `packet(n)` hands out the ready DATA packet of block n (the
 * transfer's fast path); `next()` yields the payloads in order, like any other source.
 */
export function encodedSource(file: EncodedFile): BlockSource & { packet(n: number): Buffer } {
  let next = 1;
  return {
    packet: (n) => encodedPacket(file, n),
    next: () => {
      const block = next <= file.blocks ? encodedPacket(file, next).subarray(4) : Buffer.alloc(0);
      next += 1;
      return Promise.resolve(block);
    },
    close: () => { next = file.blocks + 1; },
  };
}

function readAll(stream: Readable, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let length = 0;
    stream.on('data', (chunk: Buffer | string) => {
      const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      length += buf.length;
      if (length > limit) { stream.destroy(); reject(new Error('the file grew past its announced size')); return; }
      chunks.push(buf);
    });
    stream.once('error', reject);
    stream.once('end', () => resolve(Buffer.concat(chunks, length)));
    stream.once('close', () => reject(new Error('stream closed before its end'))); // no-op after resolve
  });
}

export class PacketCache {
  private readonly entries = new Map<string, EncodedFile>();
  private readonly loading = new Map<string, Promise<EncodedFile>>();
  private held = 0;

  constructor(private readonly limits: PacketCacheLimits) {}

  /** Whether a file of this size would be cached. */
  accepts(size: number): boolean {
    return this.limits.maxBytes > 0 && size <= Math.min(this.limits.maxFileBytes, this.limits.maxBytes);
  }

  /** The encoded file, from the cache or read now with `open()` (which must yield `size` octets). */
  get(key: string, size: number, blockSize: number, open: () => Readable): Promise<EncodedFile> {
    const id = `${blockSize}|${key}`;
    const hit = this.entries.get(id);
    if (hit) {
      this.entries.delete(id); // re-insert: most recently used last
      this.entries.set(id, hit);
      return Promise.resolve(hit);
    }
    const pending = this.loading.get(id);
    if (pending) return pending;
    const load = (async (): Promise<EncodedFile> => {
      try {
        const data = await readAll(open(), size);
        const file = encodeFile(data, blockSize);
        if (data.length === size) this.keep(id, file);
        return file;
      } finally {
        this.loading.delete(id);
      }
    })();
    this.loading.set(id, load);
    return load;
  }

  /** Octets held (for tests and stats). */
  get bytes(): number {
    return this.held;
  }

  private keep(id: string, file: EncodedFile): void {
    this.entries.set(id, file);
    this.held += file.packets.length;
    for (const [oldest, entry] of this.entries) {
      if (this.held <= this.limits.maxBytes) break;
      this.entries.delete(oldest);
      this.held -= entry.packets.length;
    }
  }
}
