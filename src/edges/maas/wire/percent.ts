/**
 * Percent-encoding in its three flavours used on the MAAS wire:
 * - RFC 5849 section 3.6 (OAuth): UTF-8, then every byte outside `A-Za-z0-9-._~` as `%XX`, upper-case hex;
 * - application/x-www-form-urlencoded (WHATWG URL section 5.1, RFC 5849 3.4.1.3.1): `+` is a space,
 *   `%XX` a byte, the bytes are UTF-8 — strict: a `%` not followed by two hex digits is an error;
 * - lenient decoding for Authorization header values (as Python's `unquote` does): a bad `%` stays as is.
 */
import { WireFormatError } from './errors.ts';

const PERCENT = 0x25;
const PLUS = 0x2b;
const AMP = 0x26;
const EQUALS = 0x3d;

function isUnreserved(b: number): boolean {
  return (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a) || b === 0x2d || b === 0x2e || b === 0x5f || b === 0x7e;
}

function hexValue(b: number | undefined): number {
  if (b === undefined) return -1;
  if (b >= 0x30 && b <= 0x39) return b - 0x30;
  if (b >= 0x41 && b <= 0x46) return b - 0x37;
  if (b >= 0x61 && b <= 0x66) return b - 0x57;
  return -1;
}

const HEX = '0123456789ABCDEF';

/** RFC 5849 section 3.6: encode a string for the OAuth base string and header. */
export function oauthEncode(value: string): string {
  const bytes = Buffer.from(value, 'utf8');
  let out = '';
  for (const b of bytes) out += isUnreserved(b) ? String.fromCharCode(b) : `%${HEX[b >> 4]}${HEX[b & 15]}`;
  return out;
}

const utf8 = new TextDecoder('utf-8', { ignoreBOM: true });

/**
 * Decodes one urlencoded component (`bytes[start, end)`): `+` → space, `%XX` → byte, then UTF-8
 * (invalid sequences become U+FFFD, as Django's QueryDict does).
 */
function decodeFormComponent(bytes: Buffer, start: number, end: number): string {
  let plain = true;
  for (let i = start; i < end; i++) {
    const b = bytes[i];
    if (b === PERCENT || b === PLUS || b >= 0x80) { plain = false; break; }
  }
  if (plain) return bytes.toString('latin1', start, end);
  const out = Buffer.allocUnsafe(end - start);
  let n = 0;
  for (let i = start; i < end; i++) {
    const b = bytes[i];
    if (b === PLUS) out[n++] = 0x20;
    else if (b === PERCENT) {
      const hi = i + 1 < end ? hexValue(bytes[i + 1]) : -1;
      const lo = i + 2 < end ? hexValue(bytes[i + 2]) : -1;
      if (hi < 0 || lo < 0) {
        const shown = bytes.toString('latin1', i, Math.min(i + 3, end));
        throw new WireFormatError(`bad percent-encoding "${shown}" in form data or query string`);
      }
      out[n++] = (hi << 4) | lo;
      i += 2;
    } else out[n++] = b;
  }
  return utf8.decode(out.subarray(0, n));
}

/**
 * Parses application/x-www-form-urlencoded bytes into ordered pairs. Repeated names are kept in
 * order, empty pieces (`a=1&&b=2`) are skipped, a name without `=` gets the empty value.
 */
export function parseFormBytes(bytes: Buffer): Array<[string, string]> {
  const pairs: Array<[string, string]> = [];
  let start = 0;
  while (start <= bytes.length) {
    let end = bytes.indexOf(AMP, start);
    if (end < 0) end = bytes.length;
    if (end > start) {
      let eq = bytes.indexOf(EQUALS, start);
      if (eq < 0 || eq > end) eq = end;
      pairs.push([decodeFormComponent(bytes, start, eq), eq < end ? decodeFormComponent(bytes, eq + 1, end) : '']);
    }
    start = end + 1;
  }
  return pairs;
}

/**
 * Lenient percent-decoding (no `+` rule) for Authorization header values: a `%` that does not start
 * a valid escape is kept literally, and the resulting bytes are read as UTF-8.
 */
export function percentDecodeLenient(value: string): string {
  if (!value.includes('%')) return value;
  const bytes = Buffer.from(value, 'utf8');
  const out = Buffer.allocUnsafe(bytes.length);
  let n = 0;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i];
    const hi = b === PERCENT ? hexValue(bytes[i + 1]) : -1;
    const lo = hi >= 0 ? hexValue(bytes[i + 2]) : -1;
    if (lo >= 0) { out[n++] = (hi << 4) | lo; i += 2; } else out[n++] = b;
  }
  return utf8.decode(out.subarray(0, n));
}
