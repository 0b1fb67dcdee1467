/**
 * multipart/form-data read as it arrives, for image uploads of any size: the framing and header rules
 * of wire/multipart.ts (delimiter `LF--boundary` with its CR, optional blanks after the boundary,
 * bare-LF line endings, an empty body part, preamble and epilogue ignored), but a part the caller
 * chooses streams to a sink instead of being collected; its Content-Transfer-Encoding (identity or
 * base64, as the `maas` CLI sends) is decoded on the way. Other parts are collected (up to a limit)
 * and classified as wire/multipart.ts does. Only a tail shorter than the delimiter is ever held back.
 */
import { WireFormatError } from '../wire/errors.ts';
import { decodeCharset, parseHeaderBlock, parseMediaValue } from '../wire/mime-headers.ts';
import type { FilePart } from '../wire/multipart.ts';
import { decodeTransferEncoding } from '../wire/transfer-encoding.ts';

export interface PartInfo { name: string; filename: string | null; contentType: string | null }
export interface PartSink { write(chunk: Buffer): Promise<void>; finish(): Promise<FilePart>; abort(): Promise<void> }
export interface StreamedForm { fields: Array<[string, string]>; files: FilePart[] }
export interface StreamOptions {
  /** A sink for this part's decoded bytes, or null to collect it in memory. */
  sinkFor(part: PartInfo): Promise<PartSink | null>;
  /** Most bytes of one collected part. */
  maxInMemory: number;
}

const LF = 0x0a, CR = 0x0d, DASH = 0x2d, SP = 0x20, TAB = 0x09;
const utf8Strict = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** base64 decoded chunk by chunk (RFC 2045 6.8: whitespace ignored; nothing but `=` after padding). */
class Base64Decoder {
  private carry = '';
  private padded = false;
  push(chunk: Buffer): Buffer {
    const text = this.carry + chunk.toString('latin1').replace(/[\s]/g, '');
    const bad = /[^A-Za-z0-9+/=]/.exec(text);
    if (bad) throw new WireFormatError(`invalid base64 in a part with Content-Transfer-Encoding: base64 (byte 0x${text.charCodeAt(bad.index).toString(16).padStart(2, '0')})`);
    const pad = text.indexOf('=');
    if (this.padded && /[^=]/.test(text) || (pad >= 0 && /[^=]/.test(text.slice(pad)))) throw new WireFormatError('invalid base64 in a part: data after the "=" padding');
    if (pad >= 0) this.padded = true;
    const usable = text.length - (text.length % 4);
    this.carry = text.slice(usable);
    return Buffer.from(text.slice(0, usable), 'base64');
  }
  end(): Buffer { return Buffer.from(this.carry, 'base64'); }
}

interface Part { info: PartInfo | null; encoding: string; sink: PartSink | null; decoder: Base64Decoder | null; chunks: Buffer[]; size: number }

function boundaryOf(contentType: string): string {
  const media = parseMediaValue(contentType);
  if (!media.value.startsWith('multipart/')) throw new WireFormatError(`expected a multipart Content-Type, got ${JSON.stringify(contentType)}`);
  const boundary = media.params.get('boundary');
  if (!boundary) throw new WireFormatError('multipart Content-Type has no boundary parameter');
  if (boundary.length > 200 || /[^\x20-\x7e]/.test(boundary)) throw new WireFormatError('multipart boundary is too long or contains characters other than printable ASCII');
  return boundary;
}

export async function parseMultipartStream(source: AsyncIterable<Buffer>, contentType: string, o: StreamOptions): Promise<StreamedForm> {
  const boundary = boundaryOf(contentType);
  const dash = Buffer.from(`--${boundary}`, 'latin1');
  const lfDash = Buffer.from(`\n--${boundary}`, 'latin1');
  const form: StreamedForm = { fields: [], files: [] };
  const open: PartSink[] = [];
  let buf: Buffer = Buffer.alloc(0);
  let ended = false;
  let atBodyStart = true;
  let state: 'preamble' | 'headers' | 'body' | 'done' = 'preamble';
  let part: Part | null = null;
  let partStart = false;
  let sawAnything = false;
  let blankSoFar = true;

  /** What follows a boundary at `at`: close, open (next index), not a delimiter (null), or 'more'. */
  const delimiterAt = (at: number): { kind: 'close' } | { kind: 'open'; next: number } | null | 'more' => {
    if (buf.length < at + 2) return ended ? (buf.length === at ? null : buf[at] === LF ? { kind: 'open', next: at + 1 } : null) : 'more';
    if (buf[at] === DASH && buf[at + 1] === DASH) return { kind: 'close' };
    let i = at;
    while (i < buf.length && (buf[i] === SP || buf[i] === TAB) && i - at < 256) i++;
    if (i >= buf.length) return ended ? null : 'more';
    if (buf[i] === LF) return { kind: 'open', next: i + 1 };
    if (buf[i] === CR) {
      if (i + 1 >= buf.length) return ended ? null : 'more';
      return buf[i + 1] === LF ? { kind: 'open', next: i + 2 } : null;
    }
    return null;
  };

  const emit = async (data: Buffer) => {
    if (!part || !data.length) return;
    if (part.sink) {
      const decoded = part.decoder ? part.decoder.push(data) : data;
      if (decoded.length) await part.sink.write(decoded);
      return;
    }
    part.size += data.length;
    if (part.size > o.maxInMemory) throw new WireFormatError(`a multipart part other than the upload is larger than ${o.maxInMemory} bytes`);
    part.chunks.push(Buffer.from(data));
  };

  const finishPart = async () => {
    const p = part!;
    part = null;
    if (p.sink) {
      if (p.decoder) { const rest = p.decoder.end(); if (rest.length) await p.sink.write(rest); }
      form.files.push(await p.sink.finish());
      return;
    }
    const raw = Buffer.concat(p.chunks);
    if (!p.info) {
      if (/^[\s]*$/.test(raw.toString('latin1'))) return; // python's empty message: `--B\r\n\r\n--B--`
      throw new WireFormatError('a multipart part has no Content-Disposition header');
    }
    const data = decodeTransferEncoding(raw, p.encoding || undefined);
    const { name, filename, contentType: type } = p.info;
    if (filename !== null) { form.files.push({ name, filename, contentType: type, data }); return; }
    const media = type === null ? null : parseMediaValue(type);
    if (media === null || media.value === '' || media.value.startsWith('text/')) {
      form.fields.push([name, decodeCharset(data, media?.params.get('charset') ?? 'utf-8', false)]);
      return;
    }
    form.files.push({ name, filename: null, contentType: type, data });
    try { form.fields.push([name, utf8Strict.decode(data)]); } catch { /* bytes only */ }
  };

  const startPart = async (head: Buffer) => {
    sawAnything = true;
    if (!head.length) { part = { info: null, encoding: '', sink: null, decoder: null, chunks: [], size: 0 }; return; }
    const headers = parseHeaderBlock(head);
    const disposition = headers.get('content-disposition');
    if (disposition === undefined) throw new WireFormatError('a multipart part has no Content-Disposition header');
    const d = parseMediaValue(disposition);
    const name = d.params.get('name');
    if (name === undefined) throw new WireFormatError('a multipart part\'s Content-Disposition has no name parameter');
    const info: PartInfo = { name, filename: d.params.get('filename') ?? null, contentType: headers.get('content-type') ?? null };
    const encoding = (headers.get('content-transfer-encoding') ?? '').trim().toLowerCase();
    const sink = await o.sinkFor(info);
    if (sink) {
      open.push(sink);
      if (!['', '7bit', '8bit', 'binary', 'base64'].includes(encoding)) throw new WireFormatError(`Content-Transfer-Encoding ${JSON.stringify(encoding)} is not supported for uploads (use binary or base64)`);
    }
    part = { info, encoding, sink, decoder: sink && encoding === 'base64' ? new Base64Decoder() : null, chunks: [], size: 0 };
  };

  const afterDelimiter = (k: { kind: 'close' } | { kind: 'open'; next: number }) => {
    if (k.kind === 'close') { state = 'done'; buf = Buffer.alloc(0); return; }
    buf = buf.subarray(k.next);
    state = 'headers';
  };

  /** Consumes what it can of `buf`; returns when it needs more input. */
  const pump = async (): Promise<void> => {
    for (;;) {
      if (state === 'done') { buf = Buffer.alloc(0); return; }
      if (state === 'preamble') {
        if (atBodyStart) {
          if (buf.length < dash.length && !ended && dash.subarray(0, buf.length).equals(buf)) return;
          if (buf.subarray(0, dash.length).equals(dash)) {
            const k = delimiterAt(dash.length);
            if (k === 'more') return;
            if (k) { atBodyStart = false; afterDelimiter(k); continue; }
          }
          atBodyStart = false;
        }
        let from = 0;
        for (;;) {
          const at = buf.indexOf(lfDash, from);
          if (at < 0) { buf = buf.subarray(Math.max(0, buf.length - lfDash.length)); return; }
          const k = delimiterAt(at + lfDash.length);
          if (k === 'more') { buf = buf.subarray(at); return; }
          if (k) { afterDelimiter(k); break; }
          from = at + 1;
        }
        continue;
      }
      if (state === 'headers') {
        let head: Buffer | null = null;
        let rest = 0;
        if (buf[0] === LF) { head = Buffer.alloc(0); rest = 1; } else if (buf[0] === CR && buf[1] === LF) { head = Buffer.alloc(0); rest = 2; } else {
          const crlf = buf.indexOf('\n\r\n', 0, 'latin1');
          const lf = buf.indexOf('\n\n', 0, 'latin1');
          const delim = buf.indexOf(lfDash);
          const blank = crlf >= 0 && (lf < 0 || crlf < lf) ? { at: crlf, len: 3 } : lf >= 0 ? { at: lf, len: 2 } : null;
          // A header line running straight into the delimiter (its line break belongs to the delimiter).
          if (delim >= 0 && (!blank || delim < blank.at)) throw new WireFormatError('a multipart part\'s header block is not terminated by an empty line');
          if (blank) { head = buf.subarray(0, blank.at + 1); rest = blank.at + blank.len; }
        }
        if (head === null) {
          if (buf.length > 65_536) throw new WireFormatError('a multipart part\'s header block is too long');
          if (ended) throw new WireFormatError('a multipart part\'s header block is not terminated by an empty line');
          return;
        }
        await startPart(Buffer.from(head));
        buf = buf.subarray(rest);
        state = 'body';
        partStart = true;
        continue;
      }
      // body
      if (partStart) {
        if (buf.length < dash.length && !ended && dash.subarray(0, buf.length).equals(buf)) return;
        if (buf.subarray(0, dash.length).equals(dash)) {
          const k = delimiterAt(dash.length);
          if (k === 'more') return;
          if (k) { await finishPart(); afterDelimiter(k); continue; }
        }
        partStart = false;
      }
      let from = 0;
      let progressed = false;
      for (;;) {
        const at = buf.indexOf(lfDash, from);
        if (at < 0) {
          const keep = lfDash.length + 1;
          if (buf.length > keep) { await emit(buf.subarray(0, buf.length - keep)); buf = buf.subarray(buf.length - keep); }
          if (ended) throw new WireFormatError('multipart body is missing its closing delimiter (--boundary--)');
          return;
        }
        const k = delimiterAt(at + lfDash.length);
        if (k === 'more') {
          const cut = at > 0 && buf[at - 1] === CR ? at - 1 : at;
          await emit(buf.subarray(0, cut));
          buf = buf.subarray(cut);
          return;
        }
        if (k) {
          await emit(buf.subarray(0, at > 0 && buf[at - 1] === CR ? at - 1 : at));
          await finishPart();
          afterDelimiter(k);
          progressed = true;
          break;
        }
        from = at + 1;
      }
      if (!progressed) return;
    }
  };

  try {
    for await (const chunk of source) {
      if (blankSoFar && !/^[\s]*$/.test(chunk.toString('latin1'))) blankSoFar = false;
      buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
      await pump();
    }
    ended = true;
    await pump();
    const last = state as string;
    if (last === 'preamble' && blankSoFar) return form; // no body at all
    if (last !== 'done') {
      if (!sawAnything && last === 'preamble') throw new WireFormatError('multipart body does not contain the boundary given in Content-Type');
      throw new WireFormatError('multipart body is missing its closing delimiter (--boundary--)');
    }
    return form;
  } catch (err) {
    for (const s of open) await s.abort().catch(() => undefined);
    throw err;
  }
}
