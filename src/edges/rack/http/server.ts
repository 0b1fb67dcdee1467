/**
 * The rack's HTTP boot server (MAAS: port 5248), as a library.
 *
 *   GET|HEAD /images/<path>      complete images from the image store (files.ts), with ranges
 *   GET|HEAD /<bootloader>       ipxe.efi, undionly.kpxe, … (what the DHCP server announces)
 *   GET|HEAD <boot config path>  ipxe.cfg…, grub/grub.cfg…, pxelinux.cfg/… — asked of the backend
 *
 * Anything else is 404; other methods 405. Every request ends in one `onEvent` call and in the
 * counters of `stats`. Timeouts: the backend has `backendTimeoutMs` per configuration (then 503),
 * a connection without traffic for `idleTimeoutMs` is closed (a stalled download too), and request
 * headers must arrive within `headersTimeoutMs`.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseBootPath } from '../../../domain/boot/index.ts';
import { openBootloader, openImage, PathRefused, safeSegments } from './files.ts';
import { ChunkCache } from './chunk-cache.ts';
import { sendFile, type SendOutcome } from './send-file.ts';
import { askBackend, BackendFailure, plainIp } from './config-request.ts';
import { DEFAULT_BOOTLOADERS, type HttpBootEvent, type HttpBootOptions, type HttpBootStats, type RequestKind } from './types.ts';

export interface HttpListenOptions {
  /** Default 5248. 0 picks a free port. */
  port?: number;
  /** Default 0.0.0.0. */
  host?: string;
}

function splitTarget(url: string): { path: string; query: string } | null {
  // Origin-form (RFC 9112 §3.2.1); absolute-form is reduced to its path.
  const target = /^https?:\/\//i.test(url) ? url.replace(/^https?:\/\/[^/]*/i, '') || '/' : url;
  if (!target.startsWith('/')) return null;
  const q = target.indexOf('?');
  return q < 0 ? { path: target, query: '' } : { path: target.slice(0, q), query: target.slice(q + 1) };
}

export class HttpBootServer {
  readonly stats: HttpBootStats = { requests: 0, active: 0, bytesSent: 0, configs: 0, files: 0, notFound: 0, refused: 0, aborted: 0, backendErrors: 0, byStatus: {} };
  private readonly server: Server;
  private readonly bootloaders: Record<string, string>;
  private readonly chunks: ChunkCache;

  constructor(private readonly opts: HttpBootOptions) {
    this.bootloaders = opts.bootloaders ?? DEFAULT_BOOTLOADERS;
    this.chunks = new ChunkCache(opts.chunkBytes ?? 256 * 1024, opts.chunkCacheBytes ?? 64 * 1024 * 1024);
    const headersTimeout = opts.headersTimeoutMs ?? 10_000;
    this.server = createServer({ headersTimeout, requestTimeout: headersTimeout * 2, keepAliveTimeout: 5_000 }, (req, res) => {
      void this.handle(req, res);
    });
    this.server.timeout = opts.idleTimeoutMs ?? 30_000;
  }

  async listen(opts: HttpListenOptions = {}): Promise<{ address: string; port: number }> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(opts.port ?? 5248, opts.host ?? '0.0.0.0', () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    const a = this.server.address() as AddressInfo;
    return { address: a.address, port: a.port };
  }

  /** Stops listening and closes every connection, downloads in progress included. */
  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    await closed;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const up = this.opts.upstream;
    if (up && req.url?.startsWith(up.prefix)) return up.handle(req, res);
    const started = Date.now();
    const remoteIp = plainIp(req.socket.remoteAddress);
    this.stats.requests += 1;
    this.stats.active += 1;
    let kind: RequestKind = 'other';
    let outcome: SendOutcome = { bytes: 0 };
    let mac: string | undefined;
    const closed = new Promise<void>((resolve) => res.once('close', () => resolve()));
    try {
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.setHeader('Allow', 'GET, HEAD');
        return this.text(res, 405, 'Method not allowed.\n');
      }
      const target = splitTarget(req.url ?? '');
      if (!target) return this.text(res, 400, 'Bad request target.\n');
      const segments = safeSegments(target.path);
      if (segments[0] === 'images' && segments.length > 1) {
        kind = 'image';
        const file = await openImage(this.opts.imagesRoot, segments.slice(1));
        if (!file) return this.text(res, 404, 'No such image (missing, or not completely downloaded yet).\n');
        outcome = await sendFile(req, res, file, this.chunks);
        return;
      }
      const loaderPath = segments.length === 1 ? this.bootloaders[segments[0]] : undefined;
      if (loaderPath !== undefined && Object.hasOwn(this.bootloaders, segments[0])) {
        kind = 'bootloader';
        const file = await openBootloader(loaderPath);
        if (!file) return this.text(res, 404, `Bootloader ${segments[0]} is not installed on this rack.\n`);
        outcome = await sendFile(req, res, file, this.chunks);
        return;
      }
      const path = segments.join('/');
      const file = parseBootPath(path);
      if (!file) return this.text(res, 404, 'Not found.\n');
      kind = 'config';
      mac = file.kind === 'mac' ? file.mac : undefined;
      const text = await askBackend(this.opts, req, res, { path, file, query: target.query });
      if (text === null) return this.text(res, 404, 'No boot configuration for this request.\n');
      res.setHeader('Cache-Control', 'no-store');
      this.text(res, 200, text);
      outcome = { bytes: req.method === 'HEAD' ? 0 : Buffer.byteLength(text) };
    } catch (err) {
      if (err instanceof PathRefused) {
        this.stats.refused += 1;
        return this.text(res, err.status, `${err.message}\n`);
      }
      const message = (err as Error).message;
      if (err instanceof BackendFailure) this.stats.backendErrors += 1;
      outcome = { bytes: 0, error: message };
      if (res.headersSent) {
        res.destroy();
      } else {
        res.setHeader('Retry-After', '5');
        this.text(res, 503, 'The boot configuration is unavailable right now; try again.\n');
      }
    } finally {
      // One event per request, once both the response and our side of it are over.
      void closed.then(() => {
        this.stats.active -= 1;
        this.finish(req, res, { kind, outcome, mac, started, remoteIp });
      });
    }
  }

  private text(res: ServerResponse, status: number, body: string): void {
    res.statusCode = status;
    res.setHeader('Content-Type', 'text/plain; charset=utf-8');
    res.setHeader('Content-Length', String(Buffer.byteLength(body)));
    res.end(res.req.method === 'HEAD' ? undefined : body);
  }

  private finish(req: IncomingMessage, res: ServerResponse, r: { kind: RequestKind; outcome: SendOutcome; mac?: string; started: number; remoteIp: string }): void {
    const aborted = !res.writableFinished;
    const s = this.stats;
    s.bytesSent += r.outcome.bytes;
    s.byStatus[res.statusCode] = (s.byStatus[res.statusCode] ?? 0) + 1;
    if (res.statusCode === 404) s.notFound += 1;
    if (aborted) s.aborted += 1;
    if (res.statusCode < 400 && (r.kind === 'image' || r.kind === 'bootloader')) s.files += 1;
    if (res.statusCode === 200 && r.kind === 'config') s.configs += 1;
    if (!this.opts.onEvent) return;
    const event: HttpBootEvent = {
      type: 'request',
      at: r.started,
      method: req.method ?? '',
      url: req.url ?? '',
      kind: r.kind,
      status: res.statusCode,
      bytes: r.outcome.bytes,
      durationMs: Date.now() - r.started,
      remoteIp: r.remoteIp,
      aborted,
    };
    if (r.outcome.range) event.range = r.outcome.range;
    if (r.mac) event.mac = r.mac;
    if (r.outcome.error) event.error = r.outcome.error;
    this.opts.onEvent(event);
  }
}


