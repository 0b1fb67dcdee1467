/**
 * Sends an opened file: conditional requests (304/412), a single byte range (206/416), HEAD, and
 * the body streamed from the file descriptor to the socket with back-pressure (stream.pipeline;
 * nothing is buffered beyond one read chunk, and a client that goes away stops the read).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import { evaluatePreconditions, ifRangeAllows, parseRange } from './conditional.ts';
import type { OpenedFile } from './files.ts';

export interface SendOutcome {
  /** Body bytes read from the file and handed to the socket. */
  bytes: number;
  range?: { start: number; end: number };
  error?: string;
}

export async function sendFile(req: IncomingMessage, res: ServerResponse, file: OpenedFile, chunkBytes: number): Promise<SendOutcome> {
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
  const stream = file.handle.createReadStream({ start, end, highWaterMark: chunkBytes, autoClose: true });
  try {
    await pipeline(stream, res);
    return { bytes: stream.bytesRead, range };
  } catch (err) {
    stream.destroy();
    return { bytes: stream.bytesRead, range, error: (err as Error).message };
  }
}
