/** MAAS's response forms: JSON bodies, plain-text messages, and error kinds mapped to status codes. */
import { Readable } from 'node:stream';
import { PlinthError, type ErrorKind } from '../../domain/errors.ts';
import type { ServiceContext } from '../../services/context.ts';
import type { Reply } from './declare.ts';
import { WireFormatError } from './wire/multipart.ts';

export const JSON_TYPE = 'application/json; charset=utf-8';
export const TEXT_TYPE = 'text/plain; charset=utf-8';

export const jsonReply = (value: unknown, status = 200): Reply => ({ status, contentType: JSON_TYPE, body: JSON.stringify(value) });
const OPEN = Buffer.from('['), COMMA = Buffer.from(','), CLOSE = Buffer.from(']');
const BATCH = 262_144;

/** Batches of about 256 KiB for a streamed JSON array (one copy of each element, no string building). */
function* jsonArrayChunks(parts: readonly Buffer[]): Generator<Buffer> {
  let batch: Buffer[] = [OPEN];
  let size = 1;
  for (let i = 0; i < parts.length; i++) {
    if (i) { batch.push(COMMA); size++; }
    batch.push(parts[i]);
    size += parts[i].length;
    if (size >= BATCH) { yield Buffer.concat(batch, size); batch = []; size = 0; }
  }
  batch.push(CLOSE);
  yield Buffer.concat(batch, size + 1);
}

/**
 * A JSON array of already-serialised (UTF-8) elements. Small arrays are one buffer; large ones (full
 * machine listings run to tens of MB) are streamed in batches so no copy of the whole document is ever built.
 */
export function jsonArrayReply(parts: readonly Buffer[]): Reply {
  const total = parts.reduce((n, p) => n + p.length, 0);
  if (total < 1_048_576) {
    const all: Buffer[] = [OPEN];
    parts.forEach((p, i) => { if (i) all.push(COMMA); all.push(p); });
    all.push(CLOSE);
    return { contentType: JSON_TYPE, body: Buffer.concat(all) };
  }
  return { contentType: JSON_TYPE, body: Readable.from(jsonArrayChunks(parts), { objectMode: false }) };
}

export const textReply = (status: number, text: string): Reply => ({ status, contentType: TEXT_TYPE, body: text });

const STATUS: Record<ErrorKind, number> = {
  bad_request: 400, validation: 400, unauthorized: 401, forbidden: 403, not_found: 404, conflict: 409, unavailable: 503,
};

export function errorReply(err: unknown, svc: ServiceContext): Reply {
  if (err instanceof PlinthError) {
    if (err.kind === 'validation' && err.fields) return jsonReply(err.fields, 400);
    return textReply(STATUS[err.kind], err.message);
  }
  if (err instanceof WireFormatError) return textReply(400, `Bad Request: ${err.message}`);
  // Integrity violations that slipped past validation are client errors, not server faults.
  const code = (err as { code?: string } | null)?.code;
  if (code === '23505') return textReply(409, 'Conflict: an object with these unique values already exists.');
  if (code === '23503') return textReply(409, 'Conflict: the object is still referenced by other objects.');
  if (code === '22P02' || code === '22003' || code === '22001' || code === '22021') return textReply(400, 'Bad Request: a value is out of range or malformed.');
  svc.log.error({ err }, 'unhandled error in API handler');
  return textReply(500, 'Internal server error. The details are in the region log.');
}

/** 204 with an empty body (deletes, and ops MAAS answers with rc.DELETED). */
export const noContent: Reply = { status: 204, body: '' };
