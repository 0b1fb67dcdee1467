/**
 * Composition root of the region: opens the store (PGlite in the data directory, or PostgreSQL),
 * applies migrations, wires services and edges, and serves HTTP plus the local admin socket.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Server } from 'node:net';
import { openDb, type Db } from '../store/db.ts';
import { migrate } from '../store/migrate.ts';
import type { ServiceContext } from '../services/context.ts';
import { buildRegionServer } from '../edges/http/region-server.ts';
import { HANDLERS } from '../edges/maas/handlers/index.ts';
import { listenAdminSocket } from '../edges/admin/socket.ts';
import { sessionsRepo } from '../store/repos/users.ts';
import { createLogger, type Log } from './logger.ts';

export const VERSION = JSON.parse(readFileSync(join(dirname(fileURLToPath(import.meta.url)), '../../package.json'), 'utf8')).version as string;

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
}

export interface RunningRegion {
  url: string;
  svc: ServiceContext;
  close(): Promise<void>;
}

export async function startRegion(o: RegionOptions): Promise<RunningRegion> {
  const log = createLogger(o.logLevel);
  const db = await openStore(o, log);
  const svc: ServiceContext = { db, log, now: () => new Date() };
  const { app } = buildRegionServer({ svc, handlers: HANDLERS, deps: { version: VERSION }, logger: o.quiet ? false : { level: o.logLevel ?? 'info' } });
  const port = o.port ?? Number(process.env.PLINTH_PORT ?? 5240);
  const host = o.host ?? process.env.PLINTH_HOST ?? '0.0.0.0';
  await app.listen({ port, host });
  const address = app.server.address();
  const actualPort = typeof address === 'object' && address ? address.port : port;
  const url = `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${actualPort}/MAAS/`;
  const started = new Date();

  const dataDir = resolveDataDir(o.dataDir);
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const socketPath = join(dataDir, 'region.sock');
  let admin: Server | undefined;
  try {
    admin = await listenAdminSocket(socketPath, svc, () => ({ url, pid: process.pid, started: started.toISOString(), store: db.kind, version: VERSION }));
  } catch (err) {
    log.warn({ err: (err as Error).message, socketPath }, 'admin socket unavailable; createadmin/apikey need the region stopped');
  }
  writeFileSync(join(dataDir, 'region.json'), JSON.stringify({ pid: process.pid, url, store: db.kind }) + '\n', { mode: 0o600 });
  const housekeeping = setInterval(() => { sessionsRepo.prune(db).catch(() => undefined); }, 3600_000);
  housekeeping.unref();
  log.info({ url, store: db.kind, version: VERSION }, 'region started');

  return {
    url, svc,
    async close() {
      clearInterval(housekeeping);
      admin?.close();
      rmSync(join(dataDir, 'region.json'), { force: true });
      await app.close();
      await db.close();
    },
  };
}
