/** `plinth`: server commands (start, region, migrate, createadmin, apikey, status) and the API client. */
import { Command } from 'commander';
import { VERSION } from '../app/region.ts';
import { registerServerCommands } from './server-commands.ts';
import { registerLabCommands } from './lab-commands.ts';
import { registerImageCommands } from './image-commands.ts';
import { registerRackCommands } from './rack-commands.ts';
import { ClientError, login, logout, run } from './client/commands.ts';
import { loadProfiles, RESERVED } from './client/profiles.ts';

async function main(argv: string[]) {
  const profiles = loadProfiles();
  const first = argv[2];
  if (first && !first.startsWith('-') && !RESERVED.has(first) && profiles[first]) {
    const r = await run(first, argv.slice(3));
    process.stdout.write(r.output + '\n');
    process.exit(r.exitCode);
  }
  const program = new Command('plinth').version(VERSION).description('Plinth: bare-metal provisioning with a MAAS-compatible API');
  registerServerCommands(program);
  registerLabCommands(program);
  registerImageCommands(program);
  registerRackCommands(program);
  program.command('login').argument('<profile>').argument('<url>').argument('[key]', "API key, or '-' to read it from stdin")
    .description('log in to a Plinth (or MAAS) API and save it as a profile')
    .action(async (profile: string, url: string, key?: string) => { process.stdout.write(`${await login(profile, url, key)}\n`); });
  program.command('logout').argument('<profile>').description('forget a saved profile').action((profile: string) => logout(profile));
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
