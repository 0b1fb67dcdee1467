/**
 * Request parameters as MAAS clients send them (see docs: client-wire-formats, "Bodies"):
 * multipart/form-data (the `maas` CLI, python-libmaas), application/x-www-form-urlencoded
 * (gomaasapi and other Go clients), JSON — declared, or sniffed when there is no Content-Type at all
 * (cloud-init's status webhook) — and no body. Query strings are urlencoded pairs.
 */
import { WireFormatError } from './errors.ts';
import { parseMultipart, type FilePart } from './multipart.ts';
import { parseFormBytes } from './percent.ts';

export interface RequestData { fields: Array<[string, string]>; files: FilePart[]; json: unknown | undefined }

const utf8Strict = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function mediaType(contentType: string | undefined): string {
  if (contentType === undefined) return '';
  const semi = contentType.indexOf(';');
  return (semi < 0 ? contentType : contentType.slice(0, semi)).trim().toLowerCase();
}

/** Index of the first byte that is not JSON whitespace (RFC 8259 section 2) nor a UTF-8 BOM. */
function firstSignificant(body: Buffer): number {
  let i = body[0] === 0xef && body[1] === 0xbb && body[2] === 0xbf ? 3 : 0;
  while (i < body.length && (body[i] === 0x20 || body[i] === 0x09 || body[i] === 0x0a || body[i] === 0x0d)) i++;
  return i;
}

function parseJson(body: Buffer): unknown {
  const start = firstSignificant(body);
  if (start >= body.length) return undefined;
  let text: string;
  try {
    text = utf8Strict.decode(body.subarray(start));
  } catch {
    throw new WireFormatError('JSON request body is not valid UTF-8');
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new WireFormatError(`invalid JSON request body: ${(err as Error).message}`);
  }
}

/**
 * Parses a request body by its Content-Type. Text and unknown types give no parameters (never an
 * error); malformed multipart, urlencoded or JSON input throws WireFormatError.
 */
export function parseRequestBody(contentType: string | undefined, body: Buffer | undefined): RequestData {
  const data: RequestData = { fields: [], files: [], json: undefined };
  if (!body || body.length === 0) return data;
  const media = mediaType(contentType);
  if (media.startsWith('multipart/')) {
    const form = parseMultipart(body, contentType ?? '');
    data.fields = form.fields;
    data.files = form.files;
  } else if (media === 'application/x-www-form-urlencoded') {
    data.fields = parseFormBytes(body);
  } else if (media === 'application/json' || (media.startsWith('application/') && media.endsWith('+json'))) {
    data.json = parseJson(body);
  } else if (media === '') {
    const first = body[firstSignificant(body)];
    if (first === 0x7b /* { */ || first === 0x5b /* [ */) data.json = parseJson(body);
  }
  return data;
}

/**
 * Parses a raw query string (without or with its leading `?`) into ordered pairs: repeated names
 * kept, `+` is a space, a name without `=` has the empty value. Bad `%` escapes throw WireFormatError.
 */
export function parseQuery(rawQueryString: string): Array<[string, string]> {
  const raw = rawQueryString.startsWith('?') ? rawQueryString.slice(1) : rawQueryString;
  if (raw === '') return [];
  return parseFormBytes(Buffer.from(raw, 'utf8'));
}
