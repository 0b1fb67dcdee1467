/**
 * One HTTP(S) exchange with a BMC or a webhook (RFC 9110 semantics, RFC 9112 on the wire), with a hard
 * time bound, optional TLS verification (BMCs mostly present self-signed certificates) and Basic
 * (RFC 7617) or Bearer (RFC 6750) authorization. Transport failures become retryable PowerErrors.
 */
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { PowerError } from './driver.ts';

export interface HttpRequest {
  url: URL;
  method: 'GET' | 'POST' | 'PATCH';
  headers?: Record<string, string>;
  json?: unknown;
  basic?: { user: string; pass: string };
  bearer?: string;
  verifyTls: boolean;
  timeoutMs: number;
  signal?: AbortSignal;
}
export interface HttpResponse { status: number; headers: IncomingHttpHeaders; body: string }

const MAX_BODY = 1 << 20;

/** The URL as it may appear in a message: no user information, no query string. */
export const describeUrl = (u: URL) => `${u.protocol}//${u.host}${u.pathname}`;

export function httpExchange(req: HttpRequest): Promise<HttpResponse> {
  const where = describeUrl(req.url);
  return new Promise((resolve, reject) => {
    if (req.signal?.aborted) { reject(new PowerError('timeout', `Request to ${where} was cancelled.`, true)); return; }
    const headers: Record<string, string> = { 'User-Agent': 'plinth-rack', Accept: 'application/json, */*;q=0.5', ...req.headers };
    let payload: Buffer | undefined;
    if (req.json !== undefined) {
      payload = Buffer.from(JSON.stringify(req.json));
      headers['Content-Type'] = 'application/json';
    }
    if (payload || req.method !== 'GET') headers['Content-Length'] = String(payload?.length ?? 0);
    if (req.bearer) headers.Authorization = `Bearer ${req.bearer}`;
    else if (req.basic) headers.Authorization = `Basic ${Buffer.from(`${req.basic.user}:${req.basic.pass}`).toString('base64')}`;
    const send = req.url.protocol === 'https:' ? httpsRequest : httpRequest;
    let settled = false;
    const finish = (err: PowerError | undefined, res?: HttpResponse) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.signal?.removeEventListener('abort', onAbort);
      if (err) { r.destroy(); reject(err); } else resolve(res!);
    };
    const r = send(req.url, { method: req.method, headers, rejectUnauthorized: req.verifyTls, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => { size += c.length; if (size <= MAX_BODY) chunks.push(c); });
      res.on('end', () => finish(undefined, { status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', () => finish(new PowerError('unreachable', `The connection to ${where} broke during the answer.`, true)));
    });
    const timer = setTimeout(() => finish(new PowerError('timeout', `No answer from ${where} within ${req.timeoutMs} ms.`, true)), req.timeoutMs);
    const onAbort = () => finish(new PowerError('timeout', `Request to ${where} was cancelled.`, true));
    req.signal?.addEventListener('abort', onAbort, { once: true });
    r.on('error', (e: NodeJS.ErrnoException) => finish(transportError(e, where)));
    r.end(payload);
  });
}

function transportError(e: NodeJS.ErrnoException, where: string): PowerError {
  const code = e.code ?? '';
  if (/^(ERR_TLS|DEPTH_ZERO|SELF_SIGNED|UNABLE_TO|CERT_)/.test(code))
    return new PowerError('invalid', `TLS verification of ${where} failed (${code}); install its certificate or turn verification off.`, false);
  if (code === 'ENOTFOUND') return new PowerError('unreachable', `The name in ${where} does not resolve.`, true);
  const reason = code || 'connection failed';
  return new PowerError('unreachable', `Cannot reach ${where} (${reason}).`, true);
}

/** Maps an HTTP status that is not a success to a PowerError (the body is not echoed: it may hold anything). */
export function statusError(status: number, what: string, where: string): PowerError {
  if (status === 401 || status === 403)
    return new PowerError('auth', `${what}: ${where} refused the credentials (HTTP ${status}).`, false);
  if (status === 409 || status === 429 || status === 503)
    return new PowerError('busy', `${what}: ${where} is busy (HTTP ${status}).`, true);
  if (status >= 500) return new PowerError('bmc', `${what}: ${where} failed (HTTP ${status}).`, true);
  if (status === 404 || status === 405 || status === 501)
    return new PowerError('unsupported', `${what}: ${where} does not offer this (HTTP ${status}).`, false);
  return new PowerError('protocol', `${what}: ${where} rejected the request (HTTP ${status}).`, false);
}
