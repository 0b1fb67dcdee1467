/**
 * Helpers of the HTTP boot tests: a temporary image store, an in-process server on 127.0.0.1 (a
 * free port), and two clients — node:http for ordinary requests and a raw TCP one for request
 * targets node:http would not send as written. Everything is removed by `cleanup()`.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { request, type IncomingHttpHeaders } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { HttpBootServer } from '../../src/edges/rack/http/server.ts';
import type { HttpBootEvent, HttpBootOptions } from '../../src/edges/rack/http/types.ts';

export const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

export class ImageStore {
  readonly dir: string;
  readonly root: string;
  constructor() {
    this.dir = mkdtempSync(join(tmpdir(), 'plinth-httpboot-'));
    this.root = join(this.dir, 'images');
    mkdirSync(this.root);
  }

  /** Writes a complete image: the file, then its checksum marker. */
  add(rel: string, content: Buffer): Buffer {
    const path = join(this.root, rel);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, content);
    writeFileSync(`${path}.sha256`, `${sha256(content)}  ${rel.split('/').pop()}\n`);
    return content;
  }

  addRandom(rel: string, bytes: number): Buffer {
    return this.add(rel, randomBytes(bytes));
  }

  /** Writes a raw file (no marker) relative to the store root. */
  raw(rel: string, content: string | Buffer): string {
    const path = join(this.root, rel);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, content);
    return path;
  }

  symlink(rel: string, target: string): void {
    symlinkSync(target, join(this.root, rel));
  }

  remove(rel: string): void {
    rmSync(join(this.root, rel), { force: true, recursive: true });
  }

  cleanup(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export interface Running {
  server: HttpBootServer;
  port: number;
  events: HttpBootEvent[];
  base: string;
  /** Resolves once `n` events have arrived (or rejects after timeoutMs). */
  eventCount(n: number, timeoutMs?: number): Promise<void>;
}

export async function startServer(opts: Omit<HttpBootOptions, 'onEvent'>): Promise<Running> {
  const events: HttpBootEvent[] = [];
  const server = new HttpBootServer({ ...opts, onEvent: (e) => events.push(e) });
  const { port } = await server.listen({ port: 0, host: '127.0.0.1' });
  return {
    server, port, events, base: `http://127.0.0.1:${port}`,
    async eventCount(n, timeoutMs = 5000) {
      const end = Date.now() + timeoutMs;
      while (events.length < n) {
        if (Date.now() > end) throw new Error(`expected ${n} events, have ${events.length}`);
        await new Promise((r) => setTimeout(r, 10));
      }
    },
  };
}

export interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export function get(port: number, path: string, headers: Record<string, string> = {}, method = 'GET'): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

/** Sends `GET <target> HTTP/1.1` exactly as written; resolves with the status line's code. */
export function rawStatus(port: number, target: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1', () => s.write(`GET ${target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`));
    let data = '';
    s.setEncoding('latin1');
    s.on('data', (d: string) => { data += d; });
    s.on('end', () => {
      const m = /^HTTP\/1\.1 (\d{3})/.exec(data);
      if (m) resolve(Number(m[1]));
      else reject(new Error(`no status line in ${JSON.stringify(data.slice(0, 80))}`));
    });
    s.on('error', reject);
  });
}
