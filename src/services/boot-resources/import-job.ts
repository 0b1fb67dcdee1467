/**
 * `op=import`, `op=stop_import`, `op=is_importing`: the region's import job, one at a time, kept in
 * the store (`boot_import`) so it outlives the process. Starting marks it running; a worker in some
 * region process takes its lease (free, its own, or not renewed for LEASE_SECONDS) and imports every
 * boot source in turn (mirror-import.ts), renewing the lease as it goes. A region that stops lets go
 * of the lease without finishing, so the job carries on at its next start (or in another region at
 * its next tick), resuming partial files. Stopping is asked through the row and honoured between chunks.
 */
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { conflict, forbidden } from '../../domain/errors.ts';
import { bootImportRepo, bootSourcesRepo } from '../../store/repos/boot-resources.ts';
import type { Actor, ServiceContext } from '../context.ts';
import { imagesDirOf } from './images-dir.ts';
import { importMirror } from './mirror-import.ts';
import { scanImages } from './scan.ts';

export const LEASE_SECONDS = 60;
const HEARTBEAT_MS = 10_000;
const OWNER = `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;

interface Worker { done: Promise<void>; shutdown: boolean }
const workers = new WeakMap<ServiceContext, Worker>();

export async function isImporting(ctx: ServiceContext): Promise<boolean> {
  return (await bootImportRepo.get(ctx.db)).state !== 'idle';
}

export async function startImport(ctx: ServiceContext, actor: Actor): Promise<void> {
  if (!actor.isAdmin) throw forbidden();
  imagesDirOf(ctx);
  if (!(await bootSourcesRepo.list(ctx.db)).length) throw conflict('There are no boot sources to import from: add one with POST boot-sources/ (url=file:///path/to/mirror).');
  await bootImportRepo.start(ctx.db);
  void kickImport(ctx);
}

export async function stopImport(ctx: ServiceContext, actor: Actor): Promise<void> {
  if (!actor.isAdmin) throw forbidden();
  await bootImportRepo.requestStop(ctx.db);
}

/** Runs the job here when it is running and its lease can be taken; resolves when this run ends. */
export function kickImport(ctx: ServiceContext): Promise<void> {
  const current = workers.get(ctx);
  if (current) return current.done;
  const w: Worker = { done: Promise.resolve(), shutdown: false };
  w.done = run(ctx, w).catch((err) => ctx.log.error({ err: (err as Error).message }, 'boot resource import failed')).finally(() => workers.delete(ctx));
  workers.set(ctx, w);
  return w.done;
}

/** The region is stopping: a running import lets go of its lease and stays `running` for the next start. */
export async function shutdownImport(ctx: ServiceContext): Promise<void> {
  const w = workers.get(ctx);
  if (!w) return;
  w.shutdown = true;
  await w.done;
}

async function run(ctx: ServiceContext, w: Worker): Promise<void> {
  if (!(await bootImportRepo.claim(ctx.db, OWNER, LEASE_SECONDS))) return;
  let stop = false;
  let lost = false;
  const beat = setInterval(() => {
    bootImportRepo.heartbeat(ctx.db, OWNER).then((state) => {
      if (state === null) lost = true;
      if (state === 'stopping') stop = true;
    }, () => undefined);
  }, HEARTBEAT_MS);
  beat.unref();
  const lines: string[] = [];
  try {
    const initial = (await bootImportRepo.get(ctx.db)).state;
    if (initial === 'stopping') stop = true;
    for (const source of await bootSourcesRepo.list(ctx.db)) {
      if (stop || lost || w.shutdown) break;
      const selections = await bootSourcesRepo.selections(ctx.db, source.id);
      try {
        const s = await importMirror(ctx, source.url, { selections }, {
          shouldStop: () => stop || lost || w.shutdown,
          say: (line) => ctx.log.info({ source: source.url }, line),
        });
        lines.push(`${source.url}: ${s.products} products, ${s.upToDate} up to date, ${s.filesCopied} files copied (${s.filesResumed} resumed), ${s.bytes} bytes`
          + `${s.errors.length ? `; errors: ${s.errors.join('; ')}` : ''}${s.stopped ? '; stopped' : ''}`);
        for (const n of s.notes) ctx.log.warn({ source: source.url }, n);
      } catch (err) {
        lines.push(`${source.url}: ${(err as Error).message}`);
      }
    }
  } finally {
    clearInterval(beat);
  }
  if (w.shutdown && !stop) {
    await bootImportRepo.release(ctx.db, OWNER);
    return;
  }
  if (!lost) await bootImportRepo.finish(ctx.db, OWNER, stop ? `stopped. ${lines.join(' ')}`.trim() : lines.join(' '));
  await scanImages(ctx).catch(() => undefined);
}
