/** Server-side commands: start, region, migrate, createadmin, apikey, status. */
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { callAdminSocket, runAdmin, type AdminRequest } from '../edges/admin/socket.ts';
import { openStore, resolveDataDir, startRegion, VERSION } from '../app/region.ts';
import { createLogger } from '../app/logger.ts';
import { startRack, type RunningRack } from '../app/rack.ts';
import { ensureRackSecret } from '../services/racks/secret.ts';
import { rackFlags, rackServing, type RackFlags } from './rack-flags.ts';
import { migrate } from '../store/migrate.ts';

interface StoreFlags { dataDir?: string; databaseUrl?: string }

const storeFlags = (c: Command) =>
  c.option('--data-dir <dir>', 'data directory for the embedded store (default ./.plinth, or $PLINTH_DATA_DIR)')
    .option('--database-url <url>', 'PostgreSQL URL (default $DATABASE_URL); the embedded store is used when absent');

export function fail(message: string): never {
  process.stderr.write(`plinth: ${message}\n`);
  process.exit(1);
}

/** Whether a region process (region.json's pid) is alive on this data directory. */
export function regionRunning(dataDir: string): boolean {
  const f = join(dataDir, 'region.json');
  if (!existsSync(f)) return false;
  try {
    process.kill(JSON.parse(readFileSync(f, 'utf8')).pid, 0);
    return true;
  } catch { return false; }
}

/**
 * Runs an admin command: through the running region's socket when one owns the embedded store,
 * otherwise directly against the store.
 */
export async function admin(flags: StoreFlags, req: AdminRequest): Promise<unknown> {
  const dataDir = resolveDataDir(flags.dataDir);
  const viaSocket = await callAdminSocket(join(dataDir, 'region.sock'), req);
  if (viaSocket) {
    if (!viaSocket.ok) fail(viaSocket.error ?? 'the region refused the command');
    return viaSocket.result;
  }
  const usesPglite = !(flags.databaseUrl ?? process.env.DATABASE_URL);
  if (usesPglite && regionRunning(dataDir)) fail(`a region is running on ${dataDir} but its admin socket did not answer; try again, or stop it first.`);
  const log = createLogger('warn');
  const db = await openStore(flags, log);
  try {
    return await runAdmin({ db, log, now: () => new Date() }, req, () => ({ running: false, store: db.kind, version: VERSION }));
  } catch (err) {
    const e = err as { message: string; fields?: Record<string, string[]> };
    fail(e.fields ? Object.entries(e.fields).map(([k, v]) => `${k}: ${v.join(' ')}`).join('\n') : e.message);
  } finally {
    await db.close();
  }
}

export function registerServerCommands(program: Command) {
  const serve = (name: string, description: string, withRack: boolean) =>
    (withRack ? rackFlags : (c: Command) => c)(storeFlags(program.command(name).description(description))
      .option('--port <port>', 'HTTP port of the region (default 5240)', (v) => Number(v))
      .option('--host <host>', 'address to listen on (default 0.0.0.0)')
      .option('--log-level <level>', 'log level (trace, debug, info, warn, error)'))
      .action(async (o: StoreFlags & RackFlags & { port?: number; host?: string; logLevel?: string }) => {
        // `region` alone drives BMCs through linked racks; `start` has its own rack in this process.
        const region = await startRegion({ ...o, inProcessRack: withRack });
        let rack: RunningRack | undefined;
        if (withRack) {
          const secret = (await ensureRackSecret(region.svc)).secret;
          rack = await startRack({
            dataDir: join(resolveDataDir(o.dataDir), 'rack'), imagesRoot: join(resolveDataDir(o.dataDir), 'images'), url: region.url, secret, version: VERSION, logLevel: o.logLevel, ...rackServing(o),
          });
        }
        const stop = async () => { await rack?.close(); await region.close(); process.exit(0); };
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
  serve('start', 'run Plinth on this host: region and rack in one process (embedded store unless --database-url)', true);
  serve('region', 'run the region controller (API, metadata, database); racks join with `plinth rack register`', false);

  storeFlags(program.command('migrate').description('apply database migrations and exit')).action(async (o: StoreFlags) => {
    const db = await openStore(o, undefined, { migrate: false });
    const applied = await migrate(db);
    await db.close();
    process.stdout.write(applied.length ? `applied: ${applied.join(', ')}\n` : 'schema is up to date\n');
  });

  storeFlags(program.command('createadmin').description('create an administrator account'))
    .requiredOption('--username <name>', 'user name')
    .requiredOption('--password <password>', 'password')
    .option('--email <email>', 'email address', '')
    .option('--ssh-key-file <file>', 'file of SSH public keys (authorized_keys format) to import for the admin')
    .action(async (o: StoreFlags & { username: string; password: string; email: string; sshKeyFile?: string }) => {
      let sshKeys: string | undefined;
      if (o.sshKeyFile) {
        try { sshKeys = readFileSync(o.sshKeyFile, 'utf8'); } catch (e) { fail(`cannot read ${o.sshKeyFile}: ${(e as Error).message}`); }
      }
      const r = (await admin(o, { cmd: 'createadmin', username: o.username, password: o.password, email: o.email, sshKeys })) as { username: string };
      process.stdout.write(`Created admin ${r.username}.\n`);
    });

  storeFlags(program.command('apikey').description("print a user's API keys (consumer:token:secret), one per line"))
    .requiredOption('--username <name>', 'user name')
    .option('--generate', 'create a new key and print it alone')
    .option('--delete <key>', 'delete this key')
    .option('--name <name>', 'name for a generated key')
    .option('--with-names', 'print each key followed by its name')
    .action(async (o: StoreFlags & { username: string; generate?: boolean; delete?: string; name?: string; withNames?: boolean }) => {
      const keys = (await admin(o, { cmd: 'apikey', username: o.username, generate: o.generate, delete: o.delete, name: o.name })) as Array<{ key: string; name: string }>;
      for (const k of keys) process.stdout.write(o.withNames && k.name ? `${k.key} ${k.name}\n` : `${k.key}\n`);
    });

  storeFlags(program.command('status').description('show whether the region runs, its URL, store and machine counts'))
    .action(async (o: StoreFlags) => {
      const dataDir = resolveDataDir(o.dataDir);
      const live = await callAdminSocket(join(dataDir, 'region.sock'), { cmd: 'status' });
      if (live?.ok) {
        process.stdout.write(`${JSON.stringify({ running: true, ...(live.result as object) }, null, 2)}\n`);
        return;
      }
      process.stdout.write(`${JSON.stringify({ running: false, ...(await admin(o, { cmd: 'status' }) as object) }, null, 2)}\n`);
      process.exitCode = 3;
    });
}
