/**
 * Builders for request bodies byte-for-byte as real clients write them, so tests can vary content
 * without hand-writing MIME. The Python layout was checked against Python 3.11's email package
 * (MIMEMultipart("form-data") + MIMEText/MIMEApplication, flattened without top-level headers, lines
 * re-joined with CRLF — what `apiclient.multipart` in the maas CLI and python-libmaas do); the Go one
 * against Go 1.19 mime/multipart.Writer.
 */

export const PY_BOUNDARY = '===============6913315235346641144==';
export const PY_CONTENT_TYPE = `multipart/form-data; boundary="${PY_BOUNDARY}"`;

export interface PyItem { name: string; value: string | Buffer; filename?: string }

/** base64 in 76-character lines, each followed by a newline, as email.encoders.encode_base64 does. */
function base64Lines(data: Buffer): string {
  const b64 = data.toString('base64');
  let out = '';
  for (let i = 0; i < b64.length; i += 76) out += `${b64.slice(i, i + 76)}\n`;
  return out;
}

/** A maas-CLI / python-libmaas body: every part base64, str → text/plain utf-8, bytes → octet-stream. */
export function pythonBody(items: PyItem[], boundary = PY_BOUNDARY, newline = '\r\n'): Buffer {
  let text = `--${boundary}\n`;
  items.forEach((item, n) => {
    if (n > 0) text += `\n--${boundary}\n`;
    const isText = typeof item.value === 'string';
    text += isText ? 'Content-Type: text/plain; charset="utf-8"\n' : 'Content-Type: application/octet-stream\n';
    text += 'MIME-Version: 1.0\nContent-Transfer-Encoding: base64\n';
    text += `Content-Disposition: form-data; name="${item.name}"${item.filename === undefined ? '' : `; filename="${item.filename}"`}\n\n`;
    text += base64Lines(typeof item.value === 'string' ? Buffer.from(item.value, 'utf8') : item.value);
  });
  text += `\n--${boundary}--\n`;
  // Python joins splitlines() with CRLF: the final newline disappears.
  return Buffer.from(text.split('\n').slice(0, -1).join(newline), 'latin1');
}

export const GO_BOUNDARY = '0123456789abcdef0123456789abcdef0123456789abcdef0123456789ab';
export const GO_CONTENT_TYPE = `multipart/form-data; boundary=${GO_BOUNDARY}`;

/** A Go mime/multipart body: CreateFormField (no Content-Type) and CreateFormFile parts, raw bytes. */
export function goBody(items: Array<{ name: string; value: string | Buffer; filename?: string }>, boundary = GO_BOUNDARY): Buffer {
  const chunks: Buffer[] = [];
  items.forEach((item, n) => {
    let head = `${n > 0 ? '\r\n' : ''}--${boundary}\r\nContent-Disposition: form-data; name="${item.name}"`;
    head += item.filename === undefined ? '\r\n\r\n' : `; filename="${item.filename}"\r\nContent-Type: application/octet-stream\r\n\r\n`;
    chunks.push(Buffer.from(head, 'utf8'), typeof item.value === 'string' ? Buffer.from(item.value, 'utf8') : item.value);
  });
  chunks.push(Buffer.from(`\r\n--${boundary}--\r\n`, 'latin1'));
  return Buffer.concat(chunks);
}

/** Every byte value once, 0x00..0xff. */
export const ALL_BYTES = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
