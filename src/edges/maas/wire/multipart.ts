/**
 * multipart/form-data request bodies (RFC 7578, framing per RFC 2046 section 5.1.1), parsed by hand
 * because the `maas` CLI and python-libmaas send bodies common parsers get wrong: a quoted boundary
 * containing `=`, base64 Content-Transfer-Encoding on every part, folded header lines, and an "empty"
 * body (`--B\r\n\r\n--B--`) on every non-GET request.
 *
 * Framing: the body is searched for `LF--boundary` with Buffer#indexOf, so parsing is linear in the
 * body size; the CR before that LF (when present) belongs to the delimiter, and a delimiter line is
 * `--boundary` followed by optional blanks and a line break, or by `--` for the close delimiter.
 * Bare-LF line endings are accepted as well as CRLF. Preamble and epilogue are ignored.
 */
import { WireFormatError } from './errors.ts';
import { decodeCharset, parseHeaderBlock, parseMediaValue } from './mime-headers.ts';
import { decodeTransferEncoding } from './transfer-encoding.ts';

export { WireFormatError } from './errors.ts';

export interface FilePart { name: string; filename: string | null; contentType: string | null; data: Buffer }
export interface ParsedForm { fields: Array<[string, string]>; files: FilePart[] }

/** The most parts one body may have; more is refused rather than parsed. */
export const MAX_PARTS = 10_000;

const LF = 0x0a;
const CR = 0x0d;
const DASH = 0x2d;

const BLANK_LINE_CRLF = Buffer.from('\n\r\n', 'latin1');
const BLANK_LINE_LF = Buffer.from('\n\n', 'latin1');
const utf8Strict = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** The boundary parameter of a multipart Content-Type (RFC 2046 5.1.1: 1–70 characters; we allow 200). */
function boundaryOf(contentTypeHeader: string): string {
  const media = parseMediaValue(contentTypeHeader ?? '');
  if (!media.value.startsWith('multipart/')) throw new WireFormatError(`expected a multipart Content-Type, got ${JSON.stringify(contentTypeHeader)}`);
  const boundary = media.params.get('boundary');
  if (boundary === undefined || boundary === '') throw new WireFormatError('multipart Content-Type has no boundary parameter');
  if (boundary.length > 200 || /[^\x20-\x7e]/.test(boundary)) throw new WireFormatError('multipart boundary is too long or contains characters other than printable ASCII');
  return boundary;
}

function isBlank(body: Buffer): boolean {
  for (const b of body) if (b !== 0x20 && b !== 0x09 && b !== CR && b !== LF) return false;
  return true;
}

/**
 * What follows `--boundary` at `at`: 'close' for `--`, 'open' (with the index after the line break)
 * for optional blanks then CRLF/LF, or null when this is not a delimiter (`--boundaryX`, end of body).
 */
function delimiterKind(body: Buffer, at: number): { kind: 'close' } | { kind: 'open'; next: number } | null {
  if (body[at] === DASH && body[at + 1] === DASH) return { kind: 'close' };
  let i = at;
  while (body[i] === 0x20 || body[i] === 0x09) i++;
  if (body[i] === CR && body[i + 1] === LF) return { kind: 'open', next: i + 2 };
  if (body[i] === LF) return { kind: 'open', next: i + 1 };
  return null;
}

/** Splits the body into the raw bytes of each part (views into `body`, no copies). */
function splitParts(body: Buffer, boundary: string): Buffer[] {
  const dash = Buffer.from(`--${boundary}`, 'latin1');
  const lfDash = Buffer.from(`\n--${boundary}`, 'latin1');
  // The first delimiter may open the body, or follow a preamble line.
  let found: ReturnType<typeof delimiterKind> = null;
  let at = body.subarray(0, dash.length).equals(dash) ? 0 : -1;
  if (at === 0) found = delimiterKind(body, dash.length);
  let from = 0;
  while (!found) {
    at = body.indexOf(lfDash, from);
    if (at < 0) throw new WireFormatError('multipart body does not contain the boundary given in Content-Type');
    found = delimiterKind(body, at + lfDash.length);
    from = at + 1;
  }
  const parts: Buffer[] = [];
  while (found.kind === 'open') {
    const start = found.next;
    let search = start - 1; // the line break ending the previous delimiter may double as this one's LF
    let next: ReturnType<typeof delimiterKind> = null;
    let lf = -1;
    while (!next) {
      lf = body.indexOf(lfDash, search);
      if (lf < 0) throw new WireFormatError('multipart body is missing its closing delimiter (--boundary--)');
      next = delimiterKind(body, lf + lfDash.length);
      search = lf + 1;
    }
    let end = lf > start && body[lf - 1] === CR ? lf - 1 : lf;
    if (end < start) end = start;
    if (parts.length >= MAX_PARTS) throw new WireFormatError(`multipart body has more than ${MAX_PARTS} parts`);
    parts.push(body.subarray(start, end));
    found = next;
  }
  return parts;
}

/** Splits a part into header block and content at the first empty line. */
function splitPart(part: Buffer): { head: Buffer; content: Buffer } {
  if (part[0] === LF) return { head: part.subarray(0, 0), content: part.subarray(1) };
  if (part[0] === CR && part[1] === LF) return { head: part.subarray(0, 0), content: part.subarray(2) };
  const crlf = part.indexOf(BLANK_LINE_CRLF);
  const lf = (crlf < 0 ? part : part.subarray(0, crlf + 1)).indexOf(BLANK_LINE_LF);
  if (crlf >= 0 && (lf < 0 || crlf < lf)) return { head: part.subarray(0, crlf + 1), content: part.subarray(crlf + 3) };
  if (lf >= 0) return { head: part.subarray(0, lf + 1), content: part.subarray(lf + 2) };
  // RFC 2046: the body of a part is optional, so header lines that run up to the delimiter are a
  // part with empty content. Anything else never ended its header block.
  if (part[part.length - 1] === LF) return { head: part, content: part.subarray(part.length) };
  throw new WireFormatError('a multipart part\'s header block is not terminated by an empty line');
}

function addPart(form: ParsedForm, raw: Buffer): void {
  if (isBlank(raw)) return; // python's empty message: `--B\r\n\r\n--B--`
  const { head, content } = splitPart(raw);
  const headers = parseHeaderBlock(head);
  const dispositionHeader = headers.get('content-disposition');
  if (dispositionHeader === undefined) throw new WireFormatError('a multipart part has no Content-Disposition header');
  const disposition = parseMediaValue(dispositionHeader);
  const name = disposition.params.get('name');
  if (name === undefined) throw new WireFormatError('a multipart part\'s Content-Disposition has no name parameter');
  const filename = disposition.params.get('filename') ?? null;
  const contentType = headers.get('content-type') ?? null;
  const data = decodeTransferEncoding(content, headers.get('content-transfer-encoding'));
  if (filename !== null) {
    form.files.push({ name, filename, contentType, data });
    return;
  }
  const media = contentType === null ? null : parseMediaValue(contentType);
  if (media === null || media.value === '' || media.value.startsWith('text/')) {
    form.fields.push([name, decodeCharset(data, media?.params.get('charset') ?? 'utf-8', false)]);
    return;
  }
  // A value sent as bytes (application/octet-stream: python's `bytes` arguments, the CLI's
  // `key@=file`): a file for handlers that want bytes, and a field when it is text.
  form.files.push({ name, filename: null, contentType, data });
  let text: string | null = null;
  try { text = utf8Strict.decode(data); } catch { text = null; }
  if (text !== null) form.fields.push([name, text]);
}

/**
 * Parses a multipart/form-data body. Parts with a filename become `files`; text parts (no
 * Content-Type, or text/*) become `fields`, decoded in their charset (default UTF-8); parts of any
 * other type without a filename go to `files` and, when they are valid UTF-8, to `fields` as well.
 * Order and repeated names are kept. Malformed input throws WireFormatError.
 */
export function parseMultipart(body: Buffer, contentTypeHeader: string): ParsedForm {
  const boundary = boundaryOf(contentTypeHeader);
  const form: ParsedForm = { fields: [], files: [] };
  if (isBlank(body)) return form;
  for (const raw of splitParts(body, boundary)) addPart(form, raw);
  return form;
}
