/**
 * Content-Transfer-Encoding of a body part (RFC 2045 section 6). RFC 7578 section 4.7 deprecates it
 * for form-data, but the `maas` CLI and python-libmaas base64-encode every part, so it is decoded
 * here: base64 (6.8), quoted-printable (6.7), and the identity encodings 7bit, 8bit and binary.
 */
import { WireFormatError } from './errors.ts';

/** Anything but the base64 alphabet, `=` and whitespace (RFC 2045 6.8: line breaks are ignored). */
const NOT_BASE64 = /[^A-Za-z0-9+/=\s]/;
const AFTER_PADDING = /[^=\s]/;

function decodeBase64(data: Buffer): Buffer {
  const text = data.toString('latin1');
  const bad = NOT_BASE64.exec(text);
  if (bad) throw new WireFormatError(`invalid base64 in a part with Content-Transfer-Encoding: base64 (byte 0x${text.charCodeAt(bad.index).toString(16).padStart(2, '0')} at offset ${bad.index})`);
  const pad = text.indexOf('=');
  if (pad >= 0 && AFTER_PADDING.test(text.slice(pad))) throw new WireFormatError('invalid base64 in a part: data after the "=" padding');
  return Buffer.from(text, 'base64');
}

function hex(b: number | undefined): number {
  if (b === undefined) return -1;
  if (b >= 0x30 && b <= 0x39) return b - 0x30;
  if (b >= 0x41 && b <= 0x46) return b - 0x37;
  if (b >= 0x61 && b <= 0x66) return b - 0x57;
  return -1;
}

/**
 * RFC 2045 6.7: `=XX` is a byte, `=` at the end of a line is a soft line break, trailing blanks on a
 * line are transport padding and dropped. A `=` that starts neither is kept literally, as 6.7 note
 * (2) recommends for robustness. Hard line breaks keep their original form (CRLF or LF).
 */
function decodeQuotedPrintable(data: Buffer): Buffer {
  const out = Buffer.allocUnsafe(data.length);
  let n = 0;
  let lineStart = 0;
  while (lineStart <= data.length) {
    let lf = data.indexOf(0x0a, lineStart);
    const last = lf < 0;
    if (last) lf = data.length;
    let end = lf > lineStart && data[lf - 1] === 0x0d ? lf - 1 : lf;
    while (end > lineStart && (data[end - 1] === 0x20 || data[end - 1] === 0x09)) end--;
    let soft = false;
    for (let i = lineStart; i < end; i++) {
      const b = data[i];
      if (b !== 0x3d) { out[n++] = b; continue; }
      if (i === end - 1) { soft = true; break; }
      const hi = hex(data[i + 1]);
      const lo = hex(data[i + 2]);
      if (hi >= 0 && lo >= 0 && i + 2 < end) { out[n++] = (hi << 4) | lo; i += 2; } else out[n++] = b;
    }
    if (last) break;
    if (!soft) {
      if (data[lf - 1] === 0x0d) out[n++] = 0x0d;
      out[n++] = 0x0a;
    }
    lineStart = lf + 1;
  }
  return out.subarray(0, n);
}

/** Decodes a part body according to its Content-Transfer-Encoding header value (absent → identity). */
export function decodeTransferEncoding(data: Buffer, encoding: string | undefined): Buffer {
  const name = (encoding ?? '').trim().toLowerCase();
  switch (name) {
    case '':
    case '7bit':
    case '8bit':
    case 'binary':
      return data;
    case 'base64':
      return decodeBase64(data);
    case 'quoted-printable':
      return decodeQuotedPrintable(data);
    default:
      throw new WireFormatError(`unsupported Content-Transfer-Encoding ${JSON.stringify(encoding)}`);
  }
}
