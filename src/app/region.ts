/**
 * Composition root of the region: opens the store (PGlite in the data directory, or PostgreSQL),
 * applies migrations, wires services and edges, and serves HTTP plus the local admin socket.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Server } from 'node:net';
import { openDb, type Db } from '../store/db.ts';
import { migrate } from '../store/migrate.ts';
import type { ServiceContext } from '../services/context.ts';
import { buildRegionServer } from '../edges/http/region-server.ts';
import { HANDLERS } from '../edges/maas/handlers/index.ts';
import { attachBootResources } from '../edges/maas/handlers/boot-resources-routes.ts';
import { listenAdminSocket } from '../edges/admin/socket.ts';
import { sessionsRepo } from '../store/repos/users.ts';
import { pruneNonces } from '../services/identity/tokens.ts';
import { TIMESTAMP_WINDOW } from '../edges/maas/auth.ts';
import { TagEvaluator } from '../services/tag-evaluation/worker.ts';
import { createLogger, type Log } from './logger.ts';
import { VERSION } from './version.ts';
import { PowerError } from '../edges/rack/power/driver.ts';
import { detectMissingPackages, findDriver, POWER_DRIVERS } from '../edges/rack/power/registry.ts';
import { PowerService } from '../edges/rack/power/service.ts';
import { PowerPortError, type PowerPort } from '../services/ports/power.ts';
import { ensureRackSecret } from '../services/racks/secret.ts';
import { WorkflowRunner, type RunnerOptions } from '../workflows/runner.ts';
import { attachRackEndpoint, dropLinksNotOn, type RackEndpointOptions } from '../edges/rpc/endpoint.ts';
import { RackRegistry } from '../edges/rpc/registry.ts';
import { DhcpPusher } from '../edges/rpc/dhcp-push.ts';
import { RegionImages } from '../edges/rpc/images-link.ts';
import { linkPowerPort } from '../edges/rpc/power-port.ts';
import { CLOSE } from '../edges/rack/link/protocol.ts';

export { VERSION };

export interface StoreOptions { dataDir?: string; databaseUrl?: string }

export const resolveDataDir = (dir?: string) => resolve(dir ?? process.env.PLINTH_DATA_DIR ?? '.plinth');

/** Opens the store named by the options and brings its schema up to date. */
export async function openStore(o: StoreOptions, log?: Log, opts: { migrate: boolean } = { migrate: true }): Promise<Db> {
  const databaseUrl = o.databaseUrl ?? process.env.DATABASE_URL;
  let dataDir: string | undefined;
  if (!databaseUrl) {
    dataDir = join(resolveDataDir(o.dataDir), 'db');
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  }
  const db = await openDb({ databaseUrl, dataDir });
  if (!opts.migrate) return db;
  const applied = await migrate(db);
  if (applied.length) log?.info({ applied }, 'migrations applied');
  return db;
}

export interface RegionOptions extends StoreOptions {
  port?: number;
  host?: string;
  logLevel?: string;
  quiet?: boolean;
  /** Workflow runner settings (lease, poll interval, retry delay); defaults suit production. */
  workflows?: RunnerOptions;
  /** Power port to use instead of the in-process rack PowerService. */
  power?: PowerPort;
  /** false: no rack in this process, power goes to racks over their links (default true). */
  inProcessRack?: boolean;
  /** Rack link timings (tests shorten them). */
  rackLink?: Pick<RackEndpointOptions, 'heartbeatMs' | 'deadMs' | 'callTimeoutMs' | 'maxFrameBytes' | 'handshakeTimeoutMs'> & { dhcpPollMs?: number; imagesPollMs?: number };
}

/** The power port on the rack's PowerService in this process (region and rack in one process). */
export function rackPowerPort(service = new PowerService(), missing: Record<string, string[]> = {}, drivers = POWER_DRIVERS): PowerPort {
  const driver = (type: string) => findDriver(type, drivers);
  return {
    controls: (type) => !!driver(type) && !missing[type]?.length,
    queryable: (type) => !!driver(type)?.queryable,
    canSetBootDevice: (type) => !!driver(type)?.canSetBootDevice,
    manual: (type) => type === 'manual',
    async execute(target, command, opts = {}) {
      try {
        const r = await service.execute({ powerType: target.powerType, params: target.params, action: command, bootDevice: opts.bootDevice, offMode: opts.offMode, signal: opts.signal });
        return { state: r.state, note: r.note };
      } catch (err) {
        if (err instanceof PowerError) throw new PowerPortError(err.code, err.message, err.retryable);
        throw err;
      }
    },
  };
}

export interface RunningRegion {
  url: string;
  svc: ServiceContext;
  /** Racks linked to this region process. */
  racks: RackRegistry;
  dhcpPush: DhcpPusher;
  /** Image sync for racks (manifest, downloads, sync pushes). */
  images: RegionImages;
  close(): Promise<void>;
}

export async function startRegion(o: RegionOptions): Promise<RunningRegion> {
  const log = createLogger(o.logLevel);
  const db = await openStore(o, log);
  const svc: ServiceContext = { db, log, now: () => new Date() };
  const racks = new RackRegistry();
  svc.power = o.power ?? (o.inProcessRack === false ? linkPowerPort(racks) : rackPowerPort(new PowerService(), await detectMissingPackages()));
  const workflows = new WorkflowRunner(svc, o.workflows);
  svc.wakeWorkflows = () => workflows.wake();
  const { app } = buildRegionServer({ svc, handlers: HANDLERS, deps: { version: VERSION }, logger: o.quiet ? false : { level: o.logLevel ?? 'info' } });
  // Racks sync `<data-dir>/images` (manifest and pushes over their links, files over HTTP: routes before listen).
  const images = new RegionImages({ svc, registry: racks, root: join(resolveDataDir(o.dataDir), 'images'), pollMs: o.rackLink?.imagesPollMs });
  images.registerRoute(app);
  await attachBootResources({ app, svc, imagesDir: join(resolveDataDir(o.dataDir), 'images'), version: VERSION }); // boot-resources/: scan, resume imports, streaming uploads
  const port = o.port ?? Number(process.env.PLINTH_PORT ?? 5240);
  const host = o.host ?? process.env.PLINTH_HOST ?? '0.0.0.0';
  await app.listen({ port, host });
  const address = app.server.address();
  const actualPort = typeof address === 'object' && address ? address.port : port;
  const url = `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${actualPort}/MAAS/`;
  const started = new Date();

  const dataDir = resolveDataDir(o.dataDir);
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const writeSecret = (secret: string) => writeFileSync(join(dataDir, 'secret'), `${secret}\n`, { mode: 0o600 });
  const late: { dhcpPush?: DhcpPusher } = {}; // made below; a rack's new interfaces may change its DHCP config at once
  const rackEndpoint = await attachRackEndpoint({
    svc, server: app.server, registry: racks, ...o.rackLink, extend: images.extend, onInterfacesChanged: () => { void late.dhcpPush?.nudge(); },
  });
  svc.rackImages = images.start().hooks;
  writeSecret((await ensureRackSecret(svc)).secret);
  svc.rackLinks = {
    drop: (systemId, reason) => racks.drop(systemId, CLOSE.shutdown, reason),
    secretRotated: (secret) => { writeSecret(secret); dropLinksNotOn(racks, secret); },
  };
  const dhcpPush = late.dhcpPush = new DhcpPusher(svc, racks, { intervalMs: o.rackLink?.dhcpPollMs }).start();
  const socketPath = join(dataDir, 'region.sock');
  let admin: Server | undefined;
  try {
    admin = await listenAdminSocket(socketPath, svc, () => ({ url, pid: process.pid, started: started.toISOString(), store: db.kind, version: VERSION, racks: racks.describe() }));
  } catch (err) {
    log.warn({ err: (err as Error).message, socketPath }, 'admin socket unavailable; createadmin/apikey need the region stopped');
  }
  writeFileSync(join(dataDir, 'region.json'), JSON.stringify({ pid: process.pid, url, store: db.kind }) + '\n', { mode: 0o600 });
  const housekeeping = setInterval(() => { sessionsRepo.prune(db).catch(() => undefined); }, 3600_000);
  housekeeping.unref();
  const noncePruning = setInterval(() => { pruneNonces(svc, TIMESTAMP_WINDOW).catch(() => undefined); }, 60_000);
  noncePruning.unref();
  const tagEvaluator = new TagEvaluator(svc).start();
  workflows.start();
  log.info({ url, store: db.kind, version: VERSION }, 'region started');

  return {
    url, svc, racks, dhcpPush, images,
    async close() {
      clearInterval(housekeeping);
      clearInterval(noncePruning);
      await dhcpPush.stop();
      images.stop();
      await rackEndpoint.close();
      await tagEvaluator.stop();
      admin?.close();
      rmSync(join(dataDir, 'region.json'), { force: true });
      await app.close();
      await workflows.stop();
      await db.close();
    },
  };
}
