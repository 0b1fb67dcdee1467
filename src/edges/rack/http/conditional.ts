/**
 * HTTP range and conditional-request rules for static files (RFC 9110 §13 and §14), as pure
 * functions of the request headers and the file's validators.
 *
 * Ranges: only single byte ranges are served. A Range header that is not a single, syntactically
 * valid `bytes=` range is ignored and the whole file sent (§14.2: a server MAY ignore it); a
 * range none of whose bytes exist is answered 416 (§15.5.17). Range applies to GET only (§14.2).
 */

export interface Validators {
  /** Strong entity tag, quoted: `"…"`. */
  etag: string;
  /** Modification time, ms since the epoch. */
  mtimeMs: number;
}

export type RangeResult =
  | { kind: 'full' }
  | { kind: 'partial'; start: number; end: number }
  | { kind: 'unsatisfiable' };

/**
 * Parses a Range header against a representation of `size` bytes (§14.1.2):
 *   bytes=first-last | bytes=first- | bytes=-suffix
 * Anything else — other units, several ranges, bad syntax, last < first — yields `full`.
 */
export function parseRange(header: string | undefined, size: number): RangeResult {
  if (header === undefined) return { kind: 'full' };
  const m = /^\s*bytes\s*=\s*(.*)$/i.exec(header);
  if (!m) return { kind: 'full' };
  const specs = m[1].split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  if (specs.length !== 1) return { kind: 'full' };
  const r = /^(\d*)-(\d*)$/.exec(specs[0]);
  if (!r || (r[1] === '' && r[2] === '')) return { kind: 'full' };
  if (r[1] === '') {
    // suffix-range: the last N bytes (all of them if the file is shorter); N = 0 is unsatisfiable.
    const n = Number(r[2]);
    if (!Number.isSafeInteger(n)) return { kind: 'full' };
    if (n === 0 || size === 0) return { kind: 'unsatisfiable' };
    return { kind: 'partial', start: Math.max(0, size - n), end: size - 1 };
  }
  const first = Number(r[1]);
  const last = r[2] === '' ? Infinity : Number(r[2]);
  if (!Number.isSafeInteger(first) || (last !== Infinity && !Number.isSafeInteger(last)) || last < first) return { kind: 'full' };
  if (first >= size) return { kind: 'unsatisfiable' };
  return { kind: 'partial', start: first, end: Math.min(last, size - 1) };
}

/** Entity tags of an If-Match / If-None-Match list; `*` is returned as ['*']. */
export function parseEtagList(header: string): string[] {
  if (header.trim() === '*') return ['*'];
  return header.match(/(?:W\/)?"[^"]*"/g) ?? [];
}

const opaque = (tag: string) => tag.replace(/^W\//, '');

/** HTTP-date (§5.6.7) to ms, or null when it does not parse. */
function httpDate(header: string | undefined): number | null {
  if (header === undefined) return null;
  const t = Date.parse(header);
  return Number.isNaN(t) ? null : t;
}

const seconds = (ms: number) => Math.floor(ms / 1000);

export type Precondition = 'proceed' | 'not-modified' | 'failed';

/** Evaluates the preconditions in the order of RFC 9110 §13.2.2 for a GET or HEAD. */
export function evaluatePreconditions(headers: Record<string, string | string[] | undefined>, v: Validators): Precondition {
  const one = (name: string): string | undefined => {
    const h = headers[name];
    return Array.isArray(h) ? h.join(', ') : h;
  };
  const ifMatch = one('if-match');
  if (ifMatch !== undefined) {
    // Strong comparison (§8.8.3.2): weak tags never match.
    const tags = parseEtagList(ifMatch);
    if (!(tags[0] === '*' || tags.some((t) => !t.startsWith('W/') && t === v.etag))) return 'failed';
  } else {
    const since = httpDate(one('if-unmodified-since'));
    if (since !== null && seconds(v.mtimeMs) > seconds(since)) return 'failed';
  }
  const ifNoneMatch = one('if-none-match');
  if (ifNoneMatch !== undefined) {
    // Weak comparison (§8.8.3.2).
    const tags = parseEtagList(ifNoneMatch);
    if (tags[0] === '*' || tags.some((t) => opaque(t) === v.etag)) return 'not-modified';
  } else {
    const since = httpDate(one('if-modified-since'));
    if (since !== null && seconds(v.mtimeMs) <= seconds(since)) return 'not-modified';
  }
  return 'proceed';
}

/**
 * If-Range (§13.1.5): the range applies only if the validator still matches — an entity tag by
 * strong comparison, or a date exactly equal to Last-Modified. Absent: the range applies.
 */
export function ifRangeAllows(header: string | undefined, v: Validators): boolean {
  if (header === undefined) return true;
  const h = header.trim();
  if (h.startsWith('"') || h.startsWith('W/')) return h === v.etag;
  const t = httpDate(h);
  return t !== null && seconds(t) === seconds(v.mtimeMs);
}
