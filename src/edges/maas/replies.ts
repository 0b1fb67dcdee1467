/** MAAS's response forms: JSON bodies, plain-text messages, and error kinds mapped to status codes. */
import { Readable } from 'node:stream';
import { PlinthError, type ErrorKind } from '../../domain/errors.ts';
import type { ServiceContext } from '../../services/context.ts';
import type { Reply } from './declare.ts';
import { WireFormatError } from './wire/multipart.ts';

export const JSON_TYPE = 'application/json; charset=utf-8';
export const TEXT_TYPE = 'text/plain; charset=utf-8';

export const jsonReply = (value: unknown, status = 200): Reply => ({ status, contentType: JSON_TYPE, body: JSON.stringify(value) });
/** Batches of about 256 KiB for a streamed JSON array. */
function* jsonArrayChunks(parts: readonly string[]): Generator<string> {
  let chunk = '[';
  for (let i = 0; i < parts.length; i++) {
    chunk += i ? `,${parts[i]}` : parts[i];
    if (chunk.length >= 262_144) { yield chunk; chunk = ''; }
  }
  yield `${chunk}]`;
}

/**
 * A JSON array of already-serialised elements. Small arrays are one string; large ones (full machine
 * listings run to tens of MB) are streamed in batches so no copy of the whole document is ever built.
 */
export function jsonArrayReply(parts: readonly string[]): Reply {
  const total = parts.reduce((n, p) => n + p.length, 0);
  if (total < 1_048_576) return { contentType: JSON_TYPE, body: `[${parts.join(',')}]` };
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
