/**
 * Block sources: cut what the backend serves into DATA payloads of the negotiated size.
 *
 * A source hands out consecutive blocks; a block shorter than the block size (possibly empty) is the
 * last one (RFC 1350 §6). Streams are pulled on demand, only when a block is wanted, so only the
 * stream's own buffer (its highWaterMark), less than a block of leftovers and the transfer's
 * unacknowledged window are ever in memory — large files are never loaded whole.
 *
 * netascii (RFC 1350 §1, RFC 764): the file is the host's text with LF line ends; on the wire each LF
 * becomes CR LF and each bare CR becomes CR NUL. The translation is per octet, so chunk boundaries
 * need no state.
 */
import { Transform, type Readable, type TransformCallback } from 'node:stream';

export interface BlockSource {
  /** The next block: `blockSize` octets, or fewer for the last block. Rejects on a read error. */
  next(): Promise<Buffer>;
  /**
   * Present when every block is at hand as a ready DATA packet (packet-cache.ts): that of block n
   * (from 1). A transfer then uses it instead of next().
   */
  packet?(n: number): Buffer;
  /** Releases the underlying stream (idempotent). */
  close(): void;
}

const CR = 0x0d;
const LF = 0x0a;
const EMPTY = Buffer.alloc(0);

/** Translates octets to netascii. */
export function toNetascii(data: Uint8Array): Buffer {
  let extra = 0;
  for (const b of data) if (b === CR || b === LF) extra++;
  if (extra === 0) return Buffer.from(data);
  const out = Buffer.allocUnsafe(data.length + extra);
  let j = 0;
  for (const b of data) {
    if (b === LF) { out[j++] = CR; out[j++] = LF; } else if (b === CR) { out[j++] = CR; out[j++] = 0; } else out[j++] = b;
  }
  return out;
}

/** Stream form of toNetascii. */
export class NetasciiEncoder extends Transform {
  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    done(null, toNetascii(chunk));
  }
}

/** Blocks of an in-memory buffer (slices; no copy). */
export function bufferSource(data: Buffer, blockSize: number): BlockSource {
  let offset = 0;
  return {
    next: () => {
      const end = Math.min(offset + blockSize, data.length);
      const block = data.subarray(offset, end);
      offset = end;
      return Promise.resolve(block);
    },
    close: () => { offset = data.length; },
  };
}

class StreamSource implements BlockSource {
  private ended = false;
  private failure: Error | null = null;
  /** Octets taken from the stream but not yet handed out (less than one block plus one chunk). */
  private held: Buffer[] = [];
  private heldLength = 0;
  private waiter: (() => void) | null = null;

  constructor(private readonly stream: Readable, private readonly blockSize: number) {
    // Permanent listeners: the stream stays in paused mode and is pulled with read(); 'readable'
    // fires when data arrives after read() came back empty.
    const wake = (): void => { const w = this.waiter; this.waiter = null; w?.(); };
    stream.on('readable', wake);
    stream.on('error', (err: Error) => { this.failure ??= err; wake(); });
    stream.once('end', () => { this.ended = true; wake(); });
    stream.once('close', () => { if (!this.ended) this.failure ??= new Error('stream closed before its end'); wake(); });
  }

  async next(): Promise<Buffer> {
    for (;;) {
      if (this.failure) throw this.failure;
      while (this.heldLength < this.blockSize) {
        const chunk = this.stream.read() as Buffer | string | null;
        if (chunk === null) break;
        const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
        this.held.push(buf);
        this.heldLength += buf.length;
      }
      if (this.heldLength >= this.blockSize || this.ended) return this.take(Math.min(this.blockSize, this.heldLength));
      await new Promise<void>((resolve) => { this.waiter = resolve; });
    }
  }

  close(): void {
    this.ended = true;
    this.held = [];
    this.heldLength = 0;
    this.stream.destroy();
  }

  private take(n: number): Buffer {
    if (n === 0) return EMPTY;
    const first = this.held[0];
    let block: Buffer;
    if (first.length >= n) {
      block = first.subarray(0, n);
      if (first.length === n) this.held.shift(); else this.held[0] = first.subarray(n);
    } else {
      const all = Buffer.concat(this.held);
      block = all.subarray(0, n);
      this.held = all.length > n ? [all.subarray(n)] : [];
    }
    this.heldLength -= n;
    return block;
  }
}

/** Blocks of a readable stream of octets. */
export function streamSource(stream: Readable, blockSize: number): BlockSource {
  return new StreamSource(stream, blockSize);
}

/** The netascii translation of a stream; errors of the original are passed on. */
export function netasciiStream(stream: Readable): Readable {
  const encoder = new NetasciiEncoder();
  stream.once('error', (err: Error) => encoder.destroy(err));
  encoder.once('close', () => stream.destroy());
  return stream.pipe(encoder);
}
