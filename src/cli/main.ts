/** `plinth`: server commands (start, region, migrate, createadmin, apikey, status) and the API client. */
import { Command } from 'commander';
import { VERSION } from '../app/version.ts';
import { ClientError, login, logout, run } from './client/commands.ts';
import { loadProfiles, RESERVED } from './client/profiles.ts';
import { waitForStatus } from './client/wait.ts';

const CLIENT_COMMANDS = new Set(['login', 'logout', 'wait', 'profiles']);

async function main(argv: string[]) {
  const profiles = loadProfiles();
  const first = argv[2];
  if (first && !first.startsWith('-') && !RESERVED.has(first) && profiles[first]) {
    const r = await run(first, argv.slice(3));
    process.stdout.write(r.output + '\n');
    process.exit(r.exitCode);
  }
  const program = new Command('plinth').version(VERSION).description('Plinth: bare-metal provisioning with a MAAS-compatible API');
  // The client's own commands need none of the region, rack, lab or image code: loading it costs a
  // second or more of every call (tsx compiles it), so it is loaded only for the commands that use it.
  if (!first || !CLIENT_COMMANDS.has(first)) {
    const [server, lab, images, rack] = await Promise.all([
      import('./server-commands.ts'), import('./lab-commands.ts'), import('./image-commands.ts'), import('./rack-commands.ts')]);
    server.registerServerCommands(program);
    lab.registerLabCommands(program);
    images.registerImageCommands(program);
    rack.registerRackCommands(program);
  }
  program.command('login').argument('<profile>').argument('<url>').argument('[key]', "API key, or '-' to read it from stdin")
    .description('log in to a Plinth (or MAAS) API and save it as a profile')
    .action(async (profile: string, url: string, key?: string) => { process.stdout.write(`${await login(profile, url, key)}\n`); });
  program.command('logout').argument('<profile>').description('forget a saved profile').action((profile: string) => logout(profile));
  program.command('wait').argument('<profile>').argument('<machine>', 'system_id, hostname or MAC address (a MAC may not be enlisted yet)')
    .argument('<status>', 'the status name to wait for, e.g. New, Ready, Deployed').option('--timeout <minutes>', 'give up after this many minutes', '30')
    .description('wait until a machine reaches a status, printing its status changes and events (exit 1: it failed, 2: timed out)')
    .action(async (profile: string, machine: string, status: string, o: { timeout: string }) => {
      const p = loadProfiles()[profile];
      if (!p) throw new ClientError(`no profile '${profile}': plinth login ${profile} URL KEY first`, 3);
      const minutes = Number(o.timeout);
      if (!(minutes > 0)) throw new ClientError(`--timeout must be a positive number of minutes (got ${o.timeout})`, 3);
      const m = await waitForStatus({ profile: p, machine, status, timeoutMs: minutes * 60_000, say: (l) => process.stderr.write(`${l}\n`) });
      process.stdout.write(`${m.system_id}\n`);
    });
  program.command('profiles').description('list saved profiles').action(() => {
    for (const p of Object.values(loadProfiles())) process.stdout.write(`${p.name}\t${p.url}\n`);
  });
  program.addHelpText('after', '\nAPI client: plinth PROFILE RESOURCE ACTION [ARGS…] [key=value …] [--output json|table]');
  await program.parseAsync(argv);
}

main(process.argv).catch((err) => {
  if (err instanceof ClientError) { process.stderr.write(`plinth: ${err.message}\n`); process.exit(err.exitCode); }
  process.stderr.write(`plinth: ${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
