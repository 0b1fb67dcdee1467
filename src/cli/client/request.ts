/** Signed HTTP requests to a MAAS-compatible API, encoded the way the maas CLI encodes them. */
import { randomBytes } from 'node:crypto';
import { parseApiKey, signRequest } from '../../edges/maas/wire/oauth.ts';

export interface Field { name: string; value: string | Buffer; filename?: string }

export function multipart(fields: Field[]): { body: Buffer; contentType: string } {
  const boundary = `===============${randomBytes(12).toString('hex')}==`;
  const chunks: Buffer[] = [];
  for (const f of fields) {
    const binary = Buffer.isBuffer(f.value);
    const disp = `form-data; name="${f.name}"${f.filename ? `; filename="${f.filename}"` : ''}`;
    chunks.push(Buffer.from(`--${boundary}\r\nContent-Type: ${binary ? 'application/octet-stream' : 'text/plain; charset="utf-8"'}\r\n` +
      `MIME-Version: 1.0\r\nContent-Transfer-Encoding: base64\r\nContent-Disposition: ${disp}\r\n\r\n`));
    chunks.push(Buffer.from(Buffer.from(f.value).toString('base64') + '\r\n'));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(chunks), contentType: `multipart/form-data; boundary="${boundary}"` };
}

export interface ApiResponse { status: number; contentType: string; body: Buffer }

export async function call(opts: { method: string; url: string; apiKey: string | null; fields?: Field[]; accept?: string }): Promise<ApiResponse> {
  const method = opts.method.toUpperCase();
  let url = opts.url;
  let body: Buffer | undefined;
  const headers: Record<string, string> = { Accept: opts.accept ?? 'application/json' };
  const fields = opts.fields ?? [];
  if (method === 'GET' || method === 'DELETE') {
    const u = new URL(url);
    for (const f of fields) u.searchParams.append(f.name, f.value.toString());
    url = u.toString();
  } else if (fields.length) {
    const m = multipart(fields);
    body = m.body;
    headers['Content-Type'] = m.contentType;
  }
  if (opts.apiKey) {
    const k = parseApiKey(opts.apiKey);
    if (!k) throw new Error('The API key must have the form consumer_key:token_key:token_secret.');
    headers.Authorization = signRequest({ method, url, consumerKey: k.consumerKey, token: k.tokenKey, tokenSecret: k.tokenSecret });
  }
  const res = await fetch(url, { method, headers, body });
  return { status: res.status, contentType: res.headers.get('content-type') ?? '', body: Buffer.from(await res.arrayBuffer()) };
}
