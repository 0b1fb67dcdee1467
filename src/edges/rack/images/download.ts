/**
 * Fetching one image file from the region into its `.partial`, resuming where an earlier attempt
 * stopped: with `n` bytes already there the request carries `Range: bytes=n-` and a 206 reply whose
 * Content-Range starts at `n` (and names the expected total) is appended; a 200 reply starts over.
 * A download during which nothing arrives for `stallMs` is aborted (the partial stays for the next
 * attempt). `maxBytesPerSecond` throttles the transfer. The data is fsynced before this resolves;
 * checking the checksum is the caller's job.
 */
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { open, stat, type FileHandle } from 'node:fs/promises';

export type DownloadFailure = 'network' | 'stalled' | 'gone' | 'refused' | 'changed' | 'aborted';

export class DownloadError extends Error {
  override readonly name = 'DownloadError';
  constructor(readonly kind: DownloadFailure, message: string) { super(message); }
  /** Whether another attempt of the same download can help. */
  get retryable(): boolean { return this.kind === 'network' || this.kind === 'stalled'; }
}

export interface DownloadOptions {
  url: string;
  headers: Record<string, string>;
  partial: string;
  size: number;
  stallMs: number;
  maxBytesPerSecond?: number;
  signal?: AbortSignal;
  /** Called once the transfer starts, with the bytes kept from the partial. */
  onStart?: (from: number) => void;
  /** Called with each chunk's length as it is written. */
  onBytes?: (n: number) => void;
}

export interface DownloadResult {
  /** Bytes that came over the network in this attempt. */
  received: number;
  /** Bytes that were already in the partial and were kept. */
  resumedFrom: number;
}

const sleep = (ms: number, signal?: AbortSignal) => new Promise<void>((resolve) => {
  const t = setTimeout(done, ms);
  function done() { clearTimeout(t); signal?.removeEventListener('abort', done); resolve(); }
  signal?.addEventListener('abort', done, { once: true });
});

function get(url: URL, headers: Record<string, string>, signal: AbortSignal, stallMs: number): Promise<IncomingMessage> {
  const req = (url.protocol === 'https:' ? httpsRequest : httpRequest)(url, { method: 'GET', headers, signal });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => req.destroy(new DownloadError('stalled', `no answer within ${stallMs} ms`)), stallMs);
    req.once('response', (res) => { clearTimeout(timer); resolve(res); });
    req.once('error', (err) => { clearTimeout(timer); reject(err); });
    req.end();
  });
}

const asFailure = (err: unknown, signal: AbortSignal): DownloadError => {
  if (err instanceof DownloadError) return err;
  if (signal.aborted) return new DownloadError('aborted', 'the download was stopped');
  return new DownloadError('network', (err as Error).message || 'connection failed');
};

export async function downloadInto(o: DownloadOptions): Promise<DownloadResult> {
  const ctl = new AbortController();
  const onAbort = () => ctl.abort();
  o.signal?.addEventListener('abort', onAbort, { once: true });
  if (o.signal?.aborted) ctl.abort();
  let have = (await stat(o.partial).catch(() => null))?.size ?? 0;
  if (have > o.size) have = 0;
  const headers: Record<string, string> = { ...o.headers };
  if (have > 0 && have < o.size) headers.range = `bytes=${have}-`;
  let handle: FileHandle | undefined;
  let received = 0;
  try {
    if (have === o.size && o.size > 0) { o.onStart?.(have); return { received: 0, resumedFrom: have }; }
    const res = await get(new URL(o.url), headers, ctl.signal, o.stallMs);
    let start = 0;
    if (res.statusCode === 206) {
      const m = /^bytes (\d+)-(\d+)\/(\d+)$/.exec(res.headers['content-range'] ?? '');
      if (!m || Number(m[1]) !== have || Number(m[3]) !== o.size) {
        res.resume();
        throw new DownloadError('changed', `the region's file no longer matches its manifest entry (${res.headers['content-range'] ?? 'no Content-Range'})`);
      }
      start = have;
    } else if (res.statusCode !== 200) {
      res.resume();
      const s = res.statusCode ?? 0;
      if (s === 404) throw new DownloadError('gone', 'the region no longer has this file (404)');
      if (s === 401 || s === 403) throw new DownloadError('refused', `the region refused the download (${s})`);
      if (s === 416) throw new DownloadError('changed', 'the region refused the range (416)');
      throw new DownloadError('network', `the region answered ${s}`);
    }
    const length = Number(res.headers['content-length'] ?? NaN);
    if (Number.isFinite(length) && start + length !== o.size) {
      res.resume();
      throw new DownloadError('changed', `the region's file is ${start + length} bytes, the manifest says ${o.size}`);
    }
    handle = await open(o.partial, start === 0 ? 'w' : 'a', 0o644);
    o.onStart?.(start);
    let stall: NodeJS.Timeout | undefined;
    const arm = () => { clearTimeout(stall); stall = setTimeout(() => res.destroy(new DownloadError('stalled', `no data for ${o.stallMs} ms`)), o.stallMs); };
    const began = Date.now();
    try {
      arm();
      for await (const chunk of res) {
        const buf = chunk as Buffer;
        if (start + received + buf.length > o.size) throw new DownloadError('changed', 'the region sent more than the manifest size');
        clearTimeout(stall);
        await handle.write(buf);
        received += buf.length;
        o.onBytes?.(buf.length);
        if (o.maxBytesPerSecond) {
          const ahead = (received / o.maxBytesPerSecond) * 1000 - (Date.now() - began);
          if (ahead > 0) await sleep(ahead, ctl.signal);
        }
        arm();
      }
      clearTimeout(stall);
      if (!res.complete) throw new DownloadError('network', 'the connection closed mid-file');
    } finally {
      clearTimeout(stall);
    }
    if (start + received !== o.size) throw new DownloadError('network', `got ${start + received} of ${o.size} bytes`);
    await handle.sync();
    return { received, resumedFrom: start };
  } catch (err) {
    throw asFailure(err, ctl.signal);
  } finally {
    o.signal?.removeEventListener('abort', onAbort);
    if (handle) { await handle.sync().catch(() => undefined); await handle.close().catch(() => undefined); }
  }
}
