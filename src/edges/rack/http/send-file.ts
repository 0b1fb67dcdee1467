/**
 * Sends an opened file: conditional requests (304/412), a single byte range (206/416), HEAD, and
 * the body.
 *
 * The body is written chunk by chunk straight to the response with back-pressure, not through a
 * stream pipeline: chunks come from the shared ChunkCache (one read serves every download that
 * needs the chunk while it is cached), the next chunk is read while the socket drains the current
 * one, and nothing beyond those two chunks is held per download. A client that goes away ends the
 * loop at the next chunk.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ChunkCache } from './chunk-cache.ts';
import { evaluatePreconditions, ifRangeAllows, parseRange } from './conditional.ts';
import type { OpenedFile } from './files.ts';

export interface SendOutcome {
  /** Body bytes read from the file and handed to the socket. */
  bytes: number;
  range?: { start: number; end: number };
  error?: string;
}

export async function sendFile(req: IncomingMessage, res: ServerResponse, file: OpenedFile, chunks: ChunkCache): Promise<SendOutcome> {
  const validators = { etag: file.etag, mtimeMs: file.mtimeMs };
  const head = req.method === 'HEAD';
  res.setHeader('Accept-Ranges', 'bytes');
  res.setHeader('ETag', file.etag);
  res.setHeader('Last-Modified', new Date(file.mtimeMs).toUTCString());

  const pre = evaluatePreconditions(req.headers, validators);
  if (pre !== 'proceed') {
    await file.handle.close();
    res.statusCode = pre === 'failed' ? 412 : 304;
    res.end();
    return { bytes: 0 };
  }

  let start = 0;
  let end = file.size - 1;
  let range: SendOutcome['range'];
  // Range is defined for GET only (RFC 9110 §14.2); HEAD describes the whole representation.
  const ifRange = req.headers['if-range'];
  if (!head && ifRangeAllows(Array.isArray(ifRange) ? ifRange[0] : ifRange, validators)) {
    const r = parseRange(req.headers.range, file.size);
    if (r.kind === 'unsatisfiable') {
      await file.handle.close();
      res.statusCode = 416;
      res.setHeader('Content-Range', `bytes */${file.size}`);
      res.end();
      return { bytes: 0 };
    }
    if (r.kind === 'partial') {
      ({ start, end } = r);
      range = { start, end };
      res.statusCode = 206;
      res.setHeader('Content-Range', `bytes ${start}-${end}/${file.size}`);
    }
  }
  res.setHeader('Content-Type', 'application/octet-stream');
  res.setHeader('Content-Length', String(end - start + 1));
  if (head || file.size === 0) {
    await file.handle.close();
    res.end();
    return { bytes: 0, range };
  }
  const progress = { written: 0 };
  try {
    await writeBody(res, file, start, end, chunks, progress);
    return { bytes: progress.written, range };
  } catch (err) {
    res.destroy();
    return { bytes: progress.written, range, error: (err as Error).message };
  } finally {
    await file.handle.close();
  }
}

/** Resolves once the response may take more (true), or false when it closed first. */
function writable(res: ServerResponse): Promise<boolean> {
  if (res.destroyed) return Promise.resolve(false);
  return new Promise((resolve) => {
    const done = (ok: boolean) => (): void => { res.off('drain', onDrain); res.off('close', onClose); resolve(ok); };
    const onDrain = done(true);
    const onClose = done(false);
    res.once('drain', onDrain);
    res.once('close', onClose);
  });
}

/**
 * Writes octets start..end (inclusive) and ends the response, counting the octets handed to it in
 * `progress`; throws when the file cannot be read or the client went away.
 */
async function writeBody(res: ServerResponse, file: OpenedFile, start: number, end: number, chunks: ChunkCache, progress: { written: number }): Promise<void> {
  const size = chunks.chunkBytes;
  const first = Math.floor(start / size);
  const last = Math.floor(end / size);
  let index = first;
  const fetch = (i: number): Promise<Buffer> => {
    const p = chunks.get(file.identity, file.handle, file.size, i);
    p.catch(() => undefined); // a read ahead may fail while no one awaits it yet: not "unhandled"
    return p;
  };
  let next = fetch(index);
  for (; index <= last; index++) {
    const chunk = await next;
    // Read ahead: the next chunk is on its way while the socket drains this one.
    if (index < last) next = fetch(index + 1);
    const from = index === first ? start - index * size : 0;
    const to = index === last ? end - index * size + 1 : chunk.length;
    if (res.destroyed) break;
    const more = res.write(from === 0 && to === chunk.length ? chunk : chunk.subarray(from, to));
    progress.written += to - from;
    if (!more && index < last && !(await writable(res))) break;
  }
  if (index <= last) {
    // The client went away; let a read ahead in flight settle before the handle is closed.
    await next.catch(() => undefined);
    throw new Error('the client went away');
  }
  res.end();
}
