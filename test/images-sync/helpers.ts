/**
 * Image sync tests: a real region (src/app/region.ts, loopback port; on a fresh PostgreSQL database
 * unless PLINTH_TEST_BACKENDS leaves PostgreSQL out, then on the embedded store in its data
 * directory, which is slower to create) whose `<data-dir>/images` holds a few files of random bytes
 * with their markers, and racks (src/app/rack.ts, HTTP boot only, on loopback) with their own data
 * directories.
 */
import { createServer, connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { startRegion, type RunningRegion } from '../../src/app/region.ts';
import { startRack, type RackOptions, type RunningRack } from '../../src/app/rack.ts';
import { createAdmin } from '../../src/services/admin.ts';
import { ensureRackSecret } from '../../src/services/racks/secret.ts';
import { call } from '../../src/cli/client/request.ts';
import type { RackInterface } from '../../src/edges/rack/link/protocol.ts';
import { BACKENDS, createPgDatabase } from '../helpers/backends.ts';

export { dropImage, has, MiB, putImage, read, sha256, until } from './files.ts';

export interface ApiResult { status: number; text: string; json(): any }

export interface ImageRegion {
  region: RunningRegion;
  dataDir: string;
  images: string;
  secret: string;
  port: number;
  /** The store (a PostgreSQL URL, or undefined for the embedded one in `dataDir`), for a restart. */
  databaseUrl?: string;
  api(method: string, path: string, fields?: Array<[string, string]>): Promise<ApiResult>;
  close(): Promise<void>;
}

export const FAST_LINK = { heartbeatMs: 200, deadMs: 800, callTimeoutMs: 3000, handshakeTimeoutMs: 2000, dhcpPollMs: 500 };

/** A fresh store for a test region: a PostgreSQL database when the suite runs on PostgreSQL. */
export async function testStore(): Promise<{ databaseUrl?: string; drop(): Promise<void> }> {
  if (!BACKENDS.includes('postgres')) return { drop: async () => undefined };
  const pg = await createPgDatabase();
  return { databaseUrl: pg.url, drop: pg.drop };
}

export async function startImageRegion(dataDir: string, o: { port?: number; imagesPollMs?: number; apiKey?: string; databaseUrl?: string } = {}): Promise<ImageRegion & { apiKey: string }> {
  const region = await startRegion({
    dataDir, databaseUrl: o.databaseUrl, port: o.port ?? 0, host: '127.0.0.1', quiet: true, logLevel: 'silent', inProcessRack: false,
    rackLink: { ...FAST_LINK, imagesPollMs: o.imagesPollMs ?? 0 },
  });
  const apiKey = o.apiKey ?? (await createAdmin(region.svc, { username: 'admin', password: 'admin-pass', email: 'admin@example.com' })).apiKey;
  const secret = (await ensureRackSecret(region.svc)).secret;
  const base = `${region.url}api/2.0/`;
  return {
    region, dataDir, images: join(dataDir, 'images'), secret, apiKey, port: Number(new URL(region.url).port), databaseUrl: o.databaseUrl,
    async api(method, path, fields = []) {
      const r = await call({ method, url: base + path, apiKey, fields: fields.map(([name, value]) => ({ name, value })) });
      const text = r.body.toString();
      return { status: r.status, text, json: () => JSON.parse(text) };
    },
    close: () => region.close(),
  };
}

export const rackIfaces = (n: number): RackInterface[] => [{ name: 'eth0', mac: `52:54:00:cc:00:0${n}`, addresses: [`10.91.${n}.2/24`] }];

export async function startImageRack(dataDir: string, r: ImageRegion, n: number, extra: Partial<RackOptions> = {}): Promise<RunningRack> {
  return startRack({
    dataDir, url: r.region.url, secret: r.secret, version: 'test', host: '127.0.0.1', ports: { http: 0 },
    enable: { dhcp: false, tftp: false, http: true }, logLevel: 'silent', interfaces: () => rackIfaces(n), hostname: `rack-${n}`,
    imageCache: { attempts: 2, retryDelayMs: 50, stallMs: 5000, progressIntervalMs: 100 },
    ...extra,
  });
}

/** GET from the rack's HTTP boot server. */
export async function rackGet(rack: RunningRack, path: string): Promise<{ status: number; body: Buffer }> {
  const res = await fetch(`http://127.0.0.1:${rack.services.bound.http!.port}/images/${path}`);
  return { status: res.status, body: Buffer.from(await res.arrayBuffer()) };
}

/**
 * A TCP relay on loopback standing for the network between rack and region: `cut()` drops every
 * connection and stops listening (the region is unreachable), `restore()` listens again on the same
 * port. `bytesPerSecond` limits each connection's region → rack direction (a slow link: little is in
 * flight when it is cut); it can be changed at any time (0: unlimited).
 */
export async function startRelay(targetPort: number, o: { bytesPerSecond?: number } = {}): Promise<{ port: number; bytesPerSecond: number; cut(): Promise<void>; restore(): Promise<void>; close(): Promise<void> }> {
  const state = { bytesPerSecond: o.bytesPerSecond ?? 0 };
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = connect(targetPort, '127.0.0.1');
    for (const s of [client, upstream]) { sockets.add(s); s.on('close', () => sockets.delete(s)); s.on('error', () => undefined); }
    client.pipe(upstream);
    const began = Date.now();
    let sent = 0;
    upstream.on('data', (chunk: Buffer) => {
      client.write(chunk);
      sent += chunk.length;
      const ahead = state.bytesPerSecond ? (sent / state.bytesPerSecond) * 1000 - (Date.now() - began) : 0;
      if (ahead > 0) { upstream.pause(); setTimeout(() => upstream.resume(), ahead); }
    });
    upstream.on('end', () => client.end());
  });
  const listen = (port: number) => new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => { server.off('error', reject); resolve((server.address() as { port: number }).port); });
  });
  const port = await listen(0);
  const cut = async () => {
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const s of sockets) s.destroy();
    await closed;
  };
  return Object.assign(state, { port, cut, restore: async () => { await listen(port); }, close: async () => { if (server.listening) await cut(); } });
}
