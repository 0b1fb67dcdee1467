/** `plinth images build`: the ephemeral environment and the deployable Debian image (docs/images.md). */
import { join } from 'node:path';
import type { Command } from 'commander';
import { buildImage, IMAGE_KINDS, ImageError, type ImageKind } from '../edges/images/index.ts';
import { resolveDataDir } from '../app/region.ts';
import { registerImageImport } from './image-import.ts';

export function registerImageCommands(program: Command) {
  const images = program.command('images').description('boot images built from Debian packages (needs root)');
  registerImageImport(images); // `plinth images import --mirror DIR` (src/cli/image-import.ts)
  images.command('build').description('build the ephemeral environment and/or the deployable Debian image (cached by inputs)')
    .option('--mirror <url>', "Debian archive (default: the host's apt sources)")
    .option('--suite <codename>', 'Debian release', 'bookworm')
    .option('--arch <arch>', 'architecture', 'amd64')
    .option('--only <kind>', `build only one kind: ${IMAGE_KINDS.join(' or ')}`)
    .option('--out <dir>', 'images directory (default <data-dir>/images)')
    .option('--cache-dir <dir>', 'downloaded .deb cache (default <data-dir>/cache/apt)')
    .option('--agent <file>', 'Plinth agent bundle for the ephemeral image (default: build src/agent with esbuild)')
    .option('--data-dir <dir>', 'Plinth data directory (default ./.plinth)')
    .action(async (o) => {
      try {
        if (o.only && !IMAGE_KINDS.includes(o.only)) throw new ImageError('bad_option', `--only must be ${IMAGE_KINDS.join(' or ')} (got ${o.only})`);
        const dataDir = resolveDataDir(o.dataDir);
        const kinds: ImageKind[] = o.only ? [o.only as ImageKind] : IMAGE_KINDS;
        for (const kind of kinds) {
          await buildImage({
            kind, suite: o.suite, arch: o.arch, mirror: o.mirror, agent: o.agent,
            outDir: o.out ?? join(dataDir, 'images'), cacheDir: o.cacheDir ?? join(dataDir, 'cache', 'apt'),
            say: (line) => process.stdout.write(`${line}\n`),
          });
        }
      } catch (err) {
        if (err instanceof ImageError) {
          process.stderr.write(`plinth images: ${err.message}\n`);
          process.exit(1);
        }
        throw err;
      }
    });
}
