/**
 * The region's boot resources at start and while it runs: the images directory is bound, scanned
 * (images built or placed while the region was down), an import left running is resumed, and every
 * `tickMs` the directory is scanned again (a `plinth images build` publishing meanwhile) and a
 * running import whose lease went stale is taken over.
 */
import { mkdirSync } from 'node:fs';
import type { ServiceContext } from '../context.ts';
import { bindImagesDir } from './images-dir.ts';
import { kickImport, shutdownImport } from './import-job.ts';
import { scanImages } from './scan.ts';

export interface BootResourcesRunning { stop(): Promise<void> }

export async function startBootResources(ctx: ServiceContext, imagesDir: string, o: { tickMs?: number } = {}): Promise<BootResourcesRunning> {
  mkdirSync(imagesDir, { recursive: true });
  bindImagesDir(ctx, imagesDir);
  const tick = async () => {
    try {
      const r = await scanImages(ctx);
      if (r.added.length || r.updated.length || r.removed.length) ctx.log.info({ ...r }, 'boot resources learned from the images directory');
    } catch (err) {
      ctx.log.warn({ err: (err as Error).message }, 'scanning the images directory failed');
    }
    void kickImport(ctx);
  };
  await tick();
  let busy = false;
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    void tick().finally(() => { busy = false; });
  }, o.tickMs ?? 30_000);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await shutdownImport(ctx);
    },
  };
}
