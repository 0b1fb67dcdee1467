/**
 * Signed requests to the metadata service, retried with exponential backoff when the network or the
 * region fails (connection refused, reset, timeouts, 5xx): a rack restarting must not fail a machine's
 * commissioning. 4xx answers are final. Uses node:http(s) only (the agent runs on the image's Node 18).
 */
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { randomBytes } from 'node:crypto';
import type { AgentConfig } from './config.ts';
import { log } from './log.ts';
import { authorization } from './oauth.ts';

export interface Reply { status: number; headers: IncomingMessage['headers']; body: Buffer }
export interface RetryPolicy { attempts: number; baseMs: number; maxMs: number; timeoutMs: number }

export const DEFAULT_RETRY: RetryPolicy = { attempts: 12, baseMs: 1000, maxMs: 60_000, timeoutMs: 120_000 };

export interface Part { name: string; value: string | Buffer; filename?: string }

/** multipart/form-data, as maas_api_helper sends signals (fields, then files). */
export function multipart(parts: Part[]): { body: Buffer; contentType: string } {
  const boundary = `plinth-${randomBytes(12).toString('hex')}`;
  const chunks: Buffer[] = [];
  for (const p of parts) {
    const disposition = `form-data; name="${p.name}"${p.filename !== undefined ? `; filename="${p.filename}"` : ''}`;
    const type = p.filename !== undefined ? 'Content-Type: application/octet-stream\r\n' : '';
    chunks.push(Buffer.from(`--${boundary}\r\nContent-Disposition: ${disposition}\r\n${type}\r\n`), Buffer.from(p.value), Buffer.from('\r\n'));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(chunks), contentType: `multipart/form-data; boundary=${boundary}` };
}

function once(cfg: AgentConfig, method: string, url: URL, body: Buffer | undefined, contentType: string | undefined, timeoutMs: number): Promise<Reply> {
  return new Promise((resolve, reject) => {
    // No token yet (enlistment): the request goes unsigned, as MAAS's anonymous handlers expect.
    const headers: Record<string, string | number> = { Accept: '*/*', ...(cfg.token_key ? { Authorization: authorization(cfg) } : {}) };
    if (body) { headers['Content-Type'] = contentType ?? 'application/octet-stream'; headers['Content-Length'] = body.length; }
    const req = (url.protocol === 'https:' ? httpsRequest : httpRequest)(url, { method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`no answer within ${timeoutMs / 1000} s`)));
    req.on('error', reject);
    req.end(body);
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class HttpError extends Error {
  constructor(readonly status: number, message: string) { super(message); }
}

/** `form` is sent as multipart/form-data; a `{body, contentType}` (JSON for the status webhook) as it is. */
export async function send(cfg: AgentConfig, policy: RetryPolicy, method: string, path: string,
  form?: Part[] | { body: Buffer; contentType: string }): Promise<Reply> {
  const url = new URL(path, cfg.metadata_url);
  const encoded = form ? (Array.isArray(form) ? multipart(form) : form) : undefined;
  for (let attempt = 1; ; attempt++) {
    let why: string;
    try {
      const r = await once(cfg, method, url, encoded?.body, encoded?.contentType, policy.timeoutMs);
      if (r.status < 500) {
        if (r.status >= 400) throw new HttpError(r.status, `${method} ${url.pathname}: ${r.status} ${r.body.toString().slice(0, 300)}`);
        return r;
      }
      why = `${r.status} ${r.body.toString().slice(0, 200)}`;
    } catch (e) {
      if (e instanceof HttpError) throw e;
      why = (e as Error).message;
    }
    if (attempt >= policy.attempts) throw new Error(`${method} ${url.pathname} failed after ${attempt} attempts: ${why}`);
    const wait = Math.min(policy.maxMs, policy.baseMs * 2 ** (attempt - 1));
    log(`${method} ${url.pathname}: ${why}; retrying in ${(wait / 1000).toFixed(1)} s (attempt ${attempt + 1} of ${policy.attempts})`);
    await sleep(wait);
  }
}
