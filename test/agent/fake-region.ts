/**
 * A stand-in for the region (metadata service, anonymous machine creation, status webhook, image
 * server) for testing the bundled agent by itself. Every request is recorded with the OAuth token it
 * was signed with (checked with the region's own verifier), null when it came unsigned. Answers come
 * from `routes` ("METHOD /path?query" → reply); anything else is 404.
 */
import { execFileSync, spawn } from 'node:child_process';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { join } from 'node:path';
import { parseAuthorizationHeader, verifySignature } from '../../src/edges/maas/wire/oauth.ts';

export interface Recorded {
  method: string; url: string; token: string | null; badSignature: boolean;
  fields: Record<string, string[]>; files: Record<string, Buffer>; json: any;
}
export type Answer = { status?: number; body?: string | Buffer; type?: string };

export function parseMultipart(contentType: string, body: Buffer): { fields: Record<string, string[]>; files: Record<string, Buffer> } {
  const out = { fields: {} as Record<string, string[]>, files: {} as Record<string, Buffer> };
  const boundary = /boundary=([^;]+)/.exec(contentType)?.[1];
  if (!boundary) return out;
  for (const raw of body.toString('latin1').split(`--${boundary}`).slice(1, -1)) {
    const [head, ...rest] = raw.slice(2).split('\r\n\r\n');
    const value = Buffer.from(rest.join('\r\n\r\n').slice(0, -2), 'latin1');
    const name = /name="([^"]+)"/.exec(head)![1];
    if (/filename=/.test(head)) out.files[name] = value; else (out.fields[name] ??= []).push(value.toString());
  }
  return out;
}

export class FakeRegion {
  server!: Server; url = ''; requests: Recorded[] = [];
  routes = new Map<string, Answer | ((r: Recorded) => Answer)>();
  constructor(readonly secrets: Record<string, string> = {}) {}

  async start(): Promise<void> {
    this.server = createServer((req: IncomingMessage, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        const oauth = parseAuthorizationHeader(req.headers.authorization);
        const token = oauth?.oauth_token ?? null;
        const badSignature = !!oauth && !verifySignature({ method: req.method!, url: `${this.url}${req.url}`, bodyParams: [], oauth, consumerSecret: '', tokenSecret: this.secrets[token!] ?? '\0' });
        const type = String(req.headers['content-type'] ?? '');
        const mp = type.startsWith('multipart/') ? parseMultipart(type, body) : { fields: {}, files: {} };
        let json: any;
        if (type.startsWith('application/json')) { try { json = JSON.parse(body.toString()); } catch { json = undefined; } }
        const rec: Recorded = { method: req.method!, url: req.url!, token, badSignature, ...mp, json };
        this.requests.push(rec);
        const route = this.routes.get(`${req.method} ${req.url}`);
        const a = typeof route === 'function' ? route(rec) : route;
        if (!a) { res.writeHead(404, { 'Content-Type': 'text/plain' }).end(`no route ${req.method} ${req.url}`); return; }
        res.writeHead(a.status ?? 200, { 'Content-Type': a.type ?? 'text/plain' }).end(a.body ?? '');
      });
    });
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as { port: number }).port}`;
  }
  stop(): Promise<void> { return new Promise((r) => this.server.close(() => r())); }
  signals(): Array<Record<string, string>> {
    return this.requests.filter((r) => r.fields.op?.[0] === 'signal').map((r) => Object.fromEntries(Object.entries(r.fields).map(([k, v]) => [k, v[0]])));
  }
  events(): any[] { return this.requests.filter((r) => r.url.startsWith('/MAAS/metadata/status/')).map((r) => r.json); }
}

/** The agent bundled exactly as the image gets it (esbuild, target node18). */
export function bundleAgent(dir: string): string {
  const out = join(dir, 'plinth-agent.mjs');
  execFileSync(join(process.cwd(), 'node_modules/.bin/esbuild'), ['src/agent/main.ts', '--bundle', '--platform=node', '--target=node18', '--format=esm', `--outfile=${out}`, '--log-level=warning']);
  return out;
}

export function runAgent(bundle: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [bundle, 'run', ...args], { env });
    let out = '';
    p.stdout.on('data', (c) => { out += c; }); p.stderr.on('data', (c) => { out += c; });
    p.on('close', (code) => resolve({ code: code ?? -1, out }));
  });
}
