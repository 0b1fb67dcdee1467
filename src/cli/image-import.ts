/**
 * `plinth images import --mirror DIR`: boot images from a local simplestreams mirror (an air-gapped
 * site's copy), into `<data-dir>/images`, recorded as Synced boot resources (docs/images.md).
 * Resumable: run it again after an interruption and partial files continue where they stopped.
 */
import { join } from 'node:path';
import type { Command } from 'commander';
import { PlinthError } from '../domain/errors.ts';
import { createLogger } from '../app/logger.ts';
import { openStore, resolveDataDir } from '../app/region.ts';
import { regionRunning } from './server-commands.ts';
import { bindImagesDir } from '../services/boot-resources/images-dir.ts';
import { importMirror } from '../services/boot-resources/mirror-import.ts';
import { openMirror } from '../services/boot-resources/simplestreams.ts';
import type { ServiceContext } from '../services/context.ts';

const list = (v?: string) => (v ? v.split(',').map((s) => s.trim()).filter(Boolean) : undefined);

function fail(message: string): never {
  process.stderr.write(`plinth images import: ${message}\n`);
  process.exit(1);
}

export function registerImageImport(images: Command) {
  images.command('import').description('import boot images from a local simplestreams mirror (air-gapped sites); resumable')
    .requiredOption('--mirror <dir>', 'the mirror: a directory or file:// URL holding streams/v1/index.json')
    .option('--os <names>', 'only these operating systems (comma-separated)')
    .option('--release <names>', 'only these releases (comma-separated)')
    .option('--arch <names>', 'only these architectures (comma-separated)')
    .option('--data-dir <dir>', 'Plinth data directory: images go to <data-dir>/images (default ./.plinth)')
    .option('--database-url <url>', 'PostgreSQL URL (default $DATABASE_URL); the embedded store in the data directory otherwise')
    .action(async (o: { mirror: string; os?: string; release?: string; arch?: string; dataDir?: string; databaseUrl?: string }) => {
      const dataDir = resolveDataDir(o.dataDir);
      try { openMirror(o.mirror); } catch (err) { fail((err as Error).message); } // before the store is opened
      if (!(o.databaseUrl ?? process.env.DATABASE_URL) && regionRunning(dataDir)) {
        fail(`a region is running on ${dataDir} and holds its embedded store: add the mirror as a boot source and POST boot-resources/?op=import, or stop the region first.`);
      }
      const log = createLogger('warn');
      const db = await openStore({ dataDir: o.dataDir, databaseUrl: o.databaseUrl }, log);
      const svc: ServiceContext = { db, log, now: () => new Date() };
      bindImagesDir(svc, join(dataDir, 'images'));
      try {
        const s = await importMirror(svc, o.mirror, { os: list(o.os), release: list(o.release), arch: list(o.arch) }, {
          say: (line) => process.stdout.write(`${line}\n`),
        });
        for (const n of s.notes) process.stdout.write(`note: ${n}\n`);
        for (const e of s.errors) process.stderr.write(`error: ${e}\n`);
        process.stdout.write(`${s.products} products: ${s.upToDate} up to date, ${s.filesCopied} files copied (${s.filesResumed} resumed), `
          + `${(s.bytes / 1048576).toFixed(1)} MiB into ${join(dataDir, 'images')}\n`);
        if (!s.products) process.stderr.write('nothing matched: check --os, --release and --arch against the mirror\n');
        process.exitCode = s.errors.length ? 1 : 0;
      } catch (err) {
        if (err instanceof PlinthError) fail(err.message);
        throw err;
      } finally {
        await db.close();
      }
    });
}
