/**
 * `plinth rack register` (join this host to a region as a rack) and `plinth rack secret [--rotate]`
 * (the region's shared secret). Registration checks the URL and secret by connecting once and keeps
 * them with the rack's system_id in `<data-dir>/rack.json` (mode 0600), where `plinth rack` reads them.
 */
import { chmodSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { resolveDataDir, VERSION } from '../app/region.ts';
import { RegionLink } from '../edges/rack/link/client.ts';
import { localInterfaces } from '../edges/rack/link/interfaces.ts';
import { SECRET_PATTERN } from '../edges/rack/link/protocol.ts';
import { RACK_FILE, readRackFile, startRack, type RackFile } from '../app/rack.ts';
import { rackFlags, rackServing, type RackFlags } from './rack-flags.ts';
import { admin, fail } from './server-commands.ts';

function writeRackFile(dataDir: string, data: RackFile): void {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const f = join(dataDir, RACK_FILE);
  writeFileSync(f, JSON.stringify(data, null, 2) + '\n', { mode: 0o600 });
  chmodSync(f, 0o600);
}

/** Adds `plinth rack …`; returns the `rack` command so the rack's run action can be attached to it. */
export function registerRackCommands(program: Command): Command {
  const rack = program.command('rack').description('rack controller: register with a region, manage the shared secret');

  rack.command('register').description('register this host as a rack controller of a region')
    .requiredOption('--url <url>', "the region's URL, e.g. http://region:5240/MAAS/")
    .requiredOption('--secret <secret>', "the region's shared secret (its <data-dir>/secret, or `plinth rack secret` there)")
    .option('--data-dir <dir>', "the rack's data directory (default ./.plinth, or $PLINTH_DATA_DIR)")
    .option('--hostname <name>', 'the name to register under (default: this host name)')
    .action(async (o: { url: string; secret: string; dataDir?: string; hostname?: string }) => {
      const secret = o.secret.trim().toLowerCase();
      if (!SECRET_PATTERN.test(secret)) fail('the secret must be 64 hexadecimal digits.');
      try { new URL(o.url); } catch { fail(`not a URL: ${o.url}`); }
      const dataDir = resolveDataDir(o.dataDir);
      const previous = readRackFile(dataDir);
      let systemId: string;
      try {
        systemId = await RegionLink.probe({
          url: o.url, secret, hostname: (o.hostname ?? hostname()).split('.')[0], version: VERSION, interfaces: localInterfaces,
          systemId: previous?.system_id,
        });
      } catch (err) {
        fail(`registration failed: ${(err as Error).message}`);
      }
      writeRackFile(dataDir, { url: o.url, secret, system_id: systemId });
      process.stdout.write(`Registered rack ${systemId} with ${o.url}; settings in ${join(dataDir, RACK_FILE)}.\n`);
    });

  rack.command('secret').description("print the region's shared secret for racks (run on the region)")
    .option('--rotate', 'generate a new secret; racks connected with the old one are disconnected')
    .option('--data-dir <dir>', 'data directory for the embedded store (default ./.plinth, or $PLINTH_DATA_DIR)')
    .option('--database-url <url>', 'PostgreSQL URL (default $DATABASE_URL); the embedded store is used when absent')
    .action(async (o: { rotate?: boolean; dataDir?: string; databaseUrl?: string }) => {
      const r = (await admin(o, { cmd: 'rack-secret', rotate: o.rotate })) as { secret: string; rotated: boolean };
      // A running region rewrites its secret file itself; without one, keep the file in step here.
      const file = join(resolveDataDir(o.dataDir), 'secret');
      if (existsSync(resolveDataDir(o.dataDir))) writeFileSync(file, `${r.secret}\n`, { mode: 0o600 });
      process.stdout.write(`${r.secret}\n`);
      if (r.rotated) process.stderr.write('Rotated: racks must be registered again with the new secret.\n');
    });
  rackFlags(rack.command('run', { isDefault: true }).description('run this rack (DHCP, TFTP, HTTP boot, power) for the region it is registered with'))
    .option('--data-dir <dir>', "the rack's data directory (default ./.plinth, or $PLINTH_DATA_DIR)")
    .option('--log-level <level>', 'log level (trace, debug, info, warn, error)')
    .action(async (o: RackFlags & { dataDir?: string; logLevel?: string }) => {
      const dataDir = resolveDataDir(o.dataDir);
      if (!readRackFile(dataDir)) fail(`this rack is not registered: run \`plinth rack register --url URL --secret SECRET --data-dir ${dataDir}\` first.`);
      const running = await startRack({ dataDir, version: VERSION, logLevel: o.logLevel, ...rackServing(o) });
      const stop = async () => { await running.close(); process.exit(0); };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
  return rack;
}
