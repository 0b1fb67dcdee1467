/**
 * The rack's end of the link to its region: `RegionLink`.
 *
 *   const link = new RegionLink({ url, secret, hostname, version, interfaces, dataDir, systemId });
 *   link.handle('power.execute', powerExecuteHandler(powerService));   // region → rack calls
 *   link.on('dhcp', (svc) => dhcpServer.configure(svc));                // region pushes (and the cached one at start)
 *   link.on('connected', ({ systemId }) => …);  link.on('disconnected', ({ code, reason, retryInMs }) => …);
 *   link.on('auth-failed', (message) => …);      // wrong secret: keeps retrying with backoff
 *   link.on('interfaces-reported', (names) => …); // a change of interfaces() the region now has
 *   link.start();  …  await link.decideBoot(req);  link.reportServices({ dhcp: { status: 'running' } });  …  await link.stop();
 *
 * Options: `url` the region (http(s)://host:port[/MAAS/]; the link goes to ws(s)://host:port/MAAS/rpc/rack),
 * `secret` the shared secret (hex), `hostname`/`version`/`interfaces()` what `hello` tells the region,
 * `systemId` this rack's id when already registered (rack.json), `powerTypes` the drivers it can run,
 * `dataDir` where the cache lives (the last DHCP config and boot answers survive a restart), timings
 * (`heartbeatMs` 10 s, `deadMs` 30 s, `callTimeoutMs` 10 s, `backoff` 0.5 s doubling to 30 s with
 * ±30 % jitter, `bootCacheTtlMs` 1 h, `interfacesPollMs` 10 s) and `maxFrameBytes`.
 *
 * The link dials out, authenticates (protocol.ts), says hello (learning its system_id), re-sends its
 * last service report, and from then on answers the region's calls. Every `interfacesPollMs` it
 * compares `interfaces()` with what the region last got (hello or a report) and sends the whole list
 * in `interfaces.report` when it differs (a failed report is retried on the next tick). When the link
 * drops it reconnects with exponential backoff; meanwhile `dhcpConfig` and cached boot answers keep
 * serving; the next hello carries the interfaces as they are then.
 */
import { EventEmitter } from 'node:events';
import { WebSocket } from 'ws';
import { LinkCache } from './cache.ts';
import { interfacesKey } from './interfaces.ts';
import { LinkCallError, LinkPeer, type CallHandler, type PushHandler } from './peer.ts';
import {
  authOkFrame, challengeFrame, CLOSE, DEFAULT_MAX_FRAME_BYTES, digest, digestMatches, dhcpConfig, helloResult, newNonce,
  parseFrame, RACK_LINK_PATH, SECRET_PATTERN, type BootRequestParams, type LeasesReport, type RackInterface, type ServicesReport,
} from './protocol.ts';

export interface BackoffOptions { initialMs: number; maxMs: number; factor: number; jitter: number }

export interface RegionLinkOptions {
  url: string;
  secret: string;
  hostname: string;
  version: string;
  interfaces: () => RackInterface[] | Promise<RackInterface[]>;
  systemId?: string;
  powerTypes?: string[];
  dataDir?: string;
  heartbeatMs?: number;
  deadMs?: number;
  callTimeoutMs?: number;
  /** How long the region may take to authenticate a new connection. */
  handshakeTimeoutMs?: number;
  maxFrameBytes?: number;
  backoff?: Partial<BackoffOptions>;
  bootCacheTtlMs?: number;
  /** How often interfaces() is compared with what the region has (default 10 s; 0: never). */
  interfacesPollMs?: number;
  random?: () => number;
  log?: { info(o: object, m?: string): void; warn(o: object, m?: string): void };
}

/** The link's WebSocket address for a region URL. */
export function linkUrl(regionUrl: string): string {
  const u = new URL(regionUrl);
  if (u.protocol !== 'http:' && u.protocol !== 'https:' && u.protocol !== 'ws:' && u.protocol !== 'wss:')
    throw new Error(`The region URL must be http(s)://host:port (got ${u.protocol}).`);
  u.protocol = u.protocol === 'https:' || u.protocol === 'wss:' ? 'wss:' : 'ws:';
  u.pathname = RACK_LINK_PATH;
  u.search = '';
  u.hash = '';
  return u.toString();
}

export class RegionLink extends EventEmitter {
  private peer: LinkPeer | undefined;
  private ws: WebSocket | undefined;
  private stopped = true;
  private attempt = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  private lastReport: ServicesReport | undefined;
  private readonly handlers = new Map<string, CallHandler>();
  private readonly pushHandlers = new Map<string, PushHandler>();
  private readonly cache: LinkCache;
  private readonly backoff: BackoffOptions;
  private id: string | undefined;
  private pollTimer: NodeJS.Timeout | undefined;
  /** The link whose hello succeeded, and the interfaces the region has from it (interfacesKey). */
  private helloPeer: LinkPeer | undefined;
  private sentInterfaces: string | undefined;
  private polling = false;

  constructor(private readonly opts: RegionLinkOptions) {
    super();
    if (!SECRET_PATTERN.test(opts.secret)) throw new Error('The shared secret must be 64 hexadecimal digits.');
    linkUrl(opts.url);
    this.id = opts.systemId;
    this.cache = new LinkCache(opts.dataDir, opts.bootCacheTtlMs ?? 3600_000);
    this.backoff = { initialMs: 500, maxMs: 30_000, factor: 2, jitter: 0.3, ...opts.backoff };
  }

  get systemId(): string | undefined { return this.id; }
  get connected(): boolean { return !!this.peer?.isOpen; }
  /** The DHCP service last pushed by the region (from the cache file until the region says otherwise). */
  get dhcpConfig(): unknown { return this.cache.dhcp; }

  /** Answers the region's calls of `method` (e.g. power.execute). */
  handle(method: string, fn: CallHandler): this {
    this.handlers.set(method, fn);
    this.peer?.handle(method, fn);
    return this;
  }

  /** Takes the region's pushes of `method` (e.g. images.sync); a push nobody takes closes the link. */
  onPush(method: string, fn: PushHandler): this {
    this.pushHandlers.set(method, fn);
    this.peer?.onPush(method, fn);
    return this;
  }

  start(): this {
    if (!this.stopped) return this;
    this.stopped = false;
    if (this.cache.dhcp !== undefined) queueMicrotask(() => this.emit('dhcp', this.cache.dhcp));
    this.connect();
    const every = this.opts.interfacesPollMs ?? 10_000;
    if (every > 0) {
      this.pollTimer = setInterval(() => { void this.pollInterfaces(); }, every);
      this.pollTimer.unref();
    }
    return this;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    clearInterval(this.pollTimer);
    const ws = this.ws;
    this.peer?.close(CLOSE.shutdown, 'rack stopping');
    if (ws && ws.readyState !== WebSocket.CLOSED) {
      await new Promise<void>((resolve) => { ws.once('close', () => resolve()); setTimeout(resolve, 2500).unref(); if (!this.peer) ws.terminate(); });
    }
  }

  call(method: string, params: unknown, timeoutMs?: number): Promise<unknown> {
    if (!this.peer?.isOpen) return Promise.reject(new LinkCallError('disconnected', 'The rack is not connected to its region.', true));
    return this.peer.call(method, params, timeoutMs);
  }

  /** The region's boot decision; when the region cannot answer, a recent answer to the same request. */
  async decideBoot(req: BootRequestParams): Promise<unknown> {
    const key = JSON.stringify([req.mac?.toLowerCase() ?? '', req.arch ?? '', req.subarch ?? '', req.firmware, req.rackHost, req.httpPort ?? 0]);
    try {
      const answer = await this.call('boot.decide', req);
      this.cache.setBoot(key, answer);
      return answer;
    } catch (err) {
      const cached = err instanceof LinkCallError && err.retryable ? this.cache.boot(key) : undefined;
      if (cached !== undefined) return cached;
      throw err;
    }
  }

  /** Reports service health; remembered and re-sent after every reconnect. */
  reportServices(report: ServicesReport): Promise<void> {
    this.lastReport = report;
    return this.connected ? this.call('services.report', report).then(() => undefined) : Promise.resolve();
  }

  reportLeases(report: LeasesReport): Promise<void> {
    return this.call('leases.report', report).then(() => undefined);
  }

  private log(level: 'info' | 'warn', o: object, m: string) { this.opts.log?.[level](o, m); }

  /** Tells the region the current interfaces when they differ from what it last got on this link. */
  private async pollInterfaces(): Promise<void> {
    const peer = this.peer;
    if (this.polling || !peer?.isOpen || peer !== this.helloPeer) return;
    this.polling = true;
    try {
      const interfaces = await this.opts.interfaces();
      const key = interfacesKey(interfaces);
      if (key === this.sentInterfaces) return;
      await peer.call('interfaces.report', { interfaces });
      if (this.helloPeer !== peer) return; // a newer hello already told the region
      this.sentInterfaces = key;
      const names = interfaces.map((i) => i.name);
      this.log('info', { interfaces: names }, 'told the region about changed interfaces');
      this.emit('interfaces-reported', names);
    } catch (err) {
      this.log('warn', { err: (err as Error).message }, 'could not tell the region about changed interfaces; retrying');
    } finally {
      this.polling = false;
    }
  }

  private connect(): void {
    if (this.stopped) return;
    const ws = new WebSocket(linkUrl(this.opts.url), { maxPayload: this.opts.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES, handshakeTimeout: this.opts.handshakeTimeoutMs ?? 10_000 });
    this.ws = ws;
    let authenticated = false;
    let closeCode = 0;
    let closeReason = '';
    const handshake = setTimeout(() => { closeReason = 'the region did not authenticate in time'; ws.terminate(); }, this.opts.handshakeTimeoutMs ?? 10_000);
    const rackNonce = newNonce();
    const onAuthFrame = (data: unknown) => {
      const challenge = parseFrame(challengeFrame, data);
      if (challenge) {
        ws.send(JSON.stringify({ type: 'auth', digest: digest(this.opts.secret, 'rack', challenge.nonce), nonce: rackNonce }));
        return;
      }
      const ok = parseFrame(authOkFrame, data);
      if (!ok || !digestMatches(this.opts.secret, 'region', rackNonce, ok.digest)) {
        closeReason = 'the region failed to prove it knows the shared secret';
        this.emit('auth-failed', closeReason);
        ws.close(CLOSE.authFailed, 'authentication failed');
        return;
      }
      clearTimeout(handshake);
      authenticated = true;
      ws.off('message', onAuthFrame);
      void this.linkUp(ws);
    };
    ws.on('message', onAuthFrame);
    ws.on('error', (err) => { closeReason ||= err.message; });
    ws.on('close', (code, reason) => {
      clearTimeout(handshake);
      closeCode = code;
      closeReason = reason.toString() || closeReason;
      if (code === CLOSE.authFailed && !authenticated && closeReason === 'authentication failed')
        this.emit('auth-failed', 'the region refused the shared secret');
      this.linkDown(closeCode, closeReason);
    });
  }

  private async linkUp(ws: WebSocket): Promise<void> {
    const peer = new LinkPeer(ws, { label: 'the region', heartbeatMs: this.opts.heartbeatMs, deadMs: this.opts.deadMs, callTimeoutMs: this.opts.callTimeoutMs });
    for (const [m, fn] of this.handlers) peer.handle(m, fn);
    for (const [m, fn] of this.pushHandlers) peer.onPush(m, fn);
    peer.onPush('dhcp.config', (params) => {
      const cfg = dhcpConfig.safeParse(params);
      if (!cfg.success) return;
      this.cache.setDhcp(params);
      this.emit('dhcp', params);
    });
    this.peer = peer;
    try {
      const interfaces = await this.opts.interfaces();
      const hello = helloResult.parse(await peer.call('hello', {
        system_id: this.id, hostname: this.opts.hostname, version: this.opts.version, interfaces, power_types: this.opts.powerTypes,
      }));
      this.id = hello.system_id;
      this.helloPeer = peer;
      this.sentInterfaces = interfacesKey(interfaces);
      this.attempt = 0;
      this.log('info', { system_id: this.id }, 'connected to the region');
      this.emit('connected', { systemId: this.id });
      if (this.lastReport) await peer.call('services.report', this.lastReport).catch(() => undefined);
    } catch (err) {
      this.log('warn', { err: (err as Error).message }, 'the region refused hello');
      this.emit('hello-failed', (err as Error).message);
      peer.close(CLOSE.protocol, 'hello failed');
    }
  }

  private linkDown(code: number, reason: string): void {
    const wasUp = !!this.peer;
    this.peer = undefined;
    this.helloPeer = undefined;
    this.ws = undefined;
    if (this.stopped) { this.emit('disconnected', { code, reason, retryInMs: null }); return; }
    const b = this.backoff;
    const base = Math.min(b.maxMs, b.initialMs * b.factor ** this.attempt);
    const r = (this.opts.random ?? Math.random)();
    const retryInMs = Math.max(0, Math.round(Math.min(b.maxMs, base * (1 - b.jitter + 2 * b.jitter * r))));
    this.attempt++;
    if (wasUp) this.log('warn', { code, reason, retryInMs }, 'link to the region lost');
    this.emit('disconnected', { code, reason, retryInMs });
    this.retryTimer = setTimeout(() => this.connect(), retryInMs);
    this.retryTimer.unref();
  }

  /**
   * Connects once, authenticates and says hello, then closes: what `plinth rack register` uses to
   * check a URL and secret. Resolves with the rack's system_id; rejects with the reason otherwise.
   */
  static async probe(opts: RegionLinkOptions, timeoutMs = 15_000): Promise<string> {
    const link = new RegionLink({ ...opts, interfacesPollMs: 0, backoff: { initialMs: 60_000, maxMs: 60_000 } });
    try {
      return await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('The region did not answer in time.')), timeoutMs);
        const done = (f: () => void) => { clearTimeout(timer); f(); };
        link.once('connected', ({ systemId }) => done(() => resolve(systemId)));
        link.once('auth-failed', (m: string) => done(() => reject(new Error(`Authentication failed: ${m}.`))));
        link.once('hello-failed', (m: string) => done(() => reject(new Error(`The region refused the registration: ${m}`))));
        link.once('disconnected', ({ reason }) => done(() => reject(new Error(`Cannot reach the region: ${reason || 'connection closed'}.`))));
        link.start();
      });
    } finally {
      await link.stop();
    }
  }
}
