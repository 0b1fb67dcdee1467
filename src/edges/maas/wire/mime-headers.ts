/**
 * MIME header fields of a multipart body part (RFC 2045, RFC 5322 section 2.2) and the parameters of
 * Content-Type / Content-Disposition values (RFC 2045 section 5.1, RFC 2183, RFC 2231).
 *
 * Python's email library (the `maas` CLI, python-libmaas) folds long header lines and writes
 * non-ASCII parameter values in RFC 2231 form (`filename*=utf-8''f%C3%AFle`); Go and Python escape
 * `"` and `\` inside quoted strings with a backslash; browsers send raw UTF-8. All are read here.
 */
import { WireFormatError } from './errors.ts';

export interface MediaValue {
  /** The value before the first `;`, lower-cased and trimmed (`form-data`, `text/plain`). */
  value: string;
  /** Parameters by lower-cased name, RFC 2231 continuations and charsets resolved. */
  params: Map<string, string>;
}

const utf8Fatal = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Decodes header bytes: UTF-8 when valid (browsers, Go), else ISO-8859-1. */
function headerText(bytes: Buffer): string {
  try {
    return utf8Fatal.decode(bytes);
  } catch {
    return bytes.toString('latin1');
  }
}

/**
 * Parses a header block (the bytes before the empty line, each field ending in CRLF or LF) into a
 * map of lower-cased field name to value. Folded lines (RFC 5322 2.2.3) are unfolded; for a field
 * given twice the first wins.
 */
export function parseHeaderBlock(bytes: Buffer): Map<string, string> {
  const lines = headerText(bytes).split(/\r?\n/);
  const unfolded: string[] = [];
  for (const line of lines) {
    if (line === '') continue;
    if (line[0] === ' ' || line[0] === '\t') {
      if (unfolded.length === 0) throw new WireFormatError('a part header block starts with a continuation line');
      unfolded[unfolded.length - 1] += line;
    } else unfolded.push(line);
  }
  const headers = new Map<string, string>();
  for (const field of unfolded) {
    const colon = field.indexOf(':');
    const name = colon > 0 ? field.slice(0, colon).trim().toLowerCase() : '';
    if (!name || /[\s\x00-\x1f]/.test(name)) throw new WireFormatError(`malformed header line in a multipart part: ${JSON.stringify(field.slice(0, 80))}`);
    if (!headers.has(name)) headers.set(name, field.slice(colon + 1).trim());
  }
  return headers;
}

/** Reads a quoted-string starting at `s[i] === '"'`; `\"` and `\\` are unescaped, other `\` kept. */
function readQuoted(s: string, i: number): { text: string; next: number } {
  let text = '';
  let j = i + 1;
  while (j < s.length) {
    const c = s[j];
    if (c === '"') return { text, next: j + 1 };
    if (c === '\\' && (s[j + 1] === '"' || s[j + 1] === '\\')) { text += s[j + 1]; j += 2; continue; }
    text += c;
    j++;
  }
  throw new WireFormatError(`unterminated quoted string in header value: ${JSON.stringify(s.slice(0, 120))}`);
}

interface Continuation { index: number; encoded: boolean; text: string }

/** RFC 2231 section 4: `charset'language'percent-encoded` → text, decoded in that charset. */
function decodeExtended(pieces: Array<{ encoded: boolean; text: string }>): string {
  let charset = 'utf-8';
  const bytes: number[] = [];
  pieces.forEach((p, n) => {
    let t = p.text;
    if (p.encoded && n === 0) {
      const first = t.indexOf("'");
      const second = first < 0 ? -1 : t.indexOf("'", first + 1);
      if (second < 0) throw new WireFormatError(`malformed RFC 2231 parameter value: ${JSON.stringify(p.text)}`);
      charset = t.slice(0, first) || 'utf-8';
      t = t.slice(second + 1);
    }
    if (!p.encoded) { for (const b of Buffer.from(t, 'utf8')) bytes.push(b); return; }
    for (let i = 0; i < t.length; i++) {
      if (t[i] === '%' && /^[0-9A-Fa-f]{2}$/.test(t.slice(i + 1, i + 3))) { bytes.push(parseInt(t.slice(i + 1, i + 3), 16)); i += 2; }
      else for (const b of Buffer.from(t[i], 'utf8')) bytes.push(b);
    }
  });
  return decodeCharset(Buffer.from(bytes), charset, false);
}

const decoders = new Map<string, InstanceType<typeof TextDecoder>>();

/** Decodes bytes in a named charset (WHATWG Encoding labels); unknown labels are a WireFormatError. */
export function decodeCharset(bytes: Buffer, charset: string, fatal: boolean): string {
  const label = charset.trim().toLowerCase();
  const key = `${fatal ? 'F' : 'R'}${label}`;
  let decoder = decoders.get(key);
  if (!decoder) {
    try {
      decoder = new TextDecoder(label, { fatal, ignoreBOM: true });
    } catch {
      throw new WireFormatError(`unsupported charset ${JSON.stringify(charset)}`);
    }
    if (decoders.size < 64) decoders.set(key, decoder);
  }
  return decoder.decode(bytes);
}

/**
 * Parses `value; name=token; name="quoted"; name*=utf-8''pct; name*0="a"; name*1*=%62` into the
 * lower-cased leading value and resolved parameters. The extended form wins over the plain one.
 */
export function parseMediaValue(header: string): MediaValue {
  const semi = header.indexOf(';');
  const value = (semi < 0 ? header : header.slice(0, semi)).trim().toLowerCase();
  const plain = new Map<string, string>();
  const extended = new Map<string, string>();
  const pieces = new Map<string, Continuation[]>();
  let i = semi < 0 ? header.length : semi + 1;
  while (i < header.length) {
    while (i < header.length && (header[i] === ';' || header[i] === ' ' || header[i] === '\t' || header[i] === '\r' || header[i] === '\n')) i++;
    if (i >= header.length) break;
    const eq = header.indexOf('=', i);
    const nextSemi = header.indexOf(';', i);
    if (eq < 0 || (nextSemi >= 0 && nextSemi < eq)) { i = nextSemi < 0 ? header.length : nextSemi + 1; continue; } // a bare word: ignored
    const rawName = header.slice(i, eq).trim().toLowerCase();
    let j = eq + 1;
    while (j < header.length && (header[j] === ' ' || header[j] === '\t')) j++;
    let text: string;
    if (header[j] === '"') {
      const q = readQuoted(header, j);
      text = q.text;
      j = q.next;
      while (j < header.length && header[j] !== ';') j++;
    } else {
      const end = header.indexOf(';', j);
      text = header.slice(j, end < 0 ? header.length : end).trim();
      j = end < 0 ? header.length : end;
    }
    i = j;
    const m = /^([^*]+)\*(\d+)(\*?)$/.exec(rawName);
    if (m) {
      const list = pieces.get(m[1]) ?? [];
      list.push({ index: Number(m[2]), encoded: m[3] === '*', text });
      pieces.set(m[1], list);
    } else if (rawName.endsWith('*')) {
      extended.set(rawName.slice(0, -1), text);
    } else if (!plain.has(rawName)) plain.set(rawName, text);
  }
  const params = new Map(plain);
  for (const [name, list] of pieces) {
    list.sort((a, b) => a.index - b.index);
    const run: Continuation[] = [];
    for (const p of list) { if (p.index !== run.length) break; run.push(p); }
    if (run.length) params.set(name, decodeExtended(run));
  }
  for (const [name, text] of extended) params.set(name, decodeExtended([{ encoded: true, text }]));
  return { value, params };
}
