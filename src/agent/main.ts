/**
 * plinth-agent: Plinth's agent in the ephemeral environment, installed as /usr/bin/plinth-agent and
 * bundled into one file for the image's Node 18 (esbuild, target node18): it may import only node:*
 * modules, src/domain and its own files. One file per command under commands/.
 *
 *   plinth-agent run [--config FILE] [--root-dir DIR] [--work-dir DIR] [--dry-run]
 */
import { dispatch } from './commands/dispatch.ts';
import { log } from './log.ts';

const USAGE = `usage: plinth-agent run [--config FILE] [--root-dir DIR] [--work-dir DIR] [--dry-run]

  run         do what this boot is for: enlist (no credentials yet, then commission), install the OS
              (deploying), or fetch this machine's scripts, run them and report the results
  --config    a cloud-init config file with datasource.MAAS (default: <root>/etc/cloud/cloud.cfg.d/*.cfg);
              enlistment writes the new credentials into it (default: cloud.cfg.d/92_plinth_enlisted.cfg)
  --root-dir  treat DIR as / for configuration, sysfs, devices and /tmp (testing)
  --work-dir  where scripts, their output and install.log go (default: <root>/tmp/plinth-agent, <root>/tmp)
  --dry-run   run only the scripts that read the machine (facts, lshw, dmidecode, storage layout);
              report the others as not run
`;

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === '--help' || command === '-h' || command === 'help') { process.stdout.write(USAGE); return command ? 0 : 2; }
  if (command !== 'run') { process.stderr.write(`plinth-agent: unknown command '${command}'\n${USAGE}`); return 2; }
  const opts: { configFile?: string; rootDir?: string; workDir?: string; dryRun?: boolean } = {};
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i];
    const value = () => {
      const v = rest[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--config') opts.configFile = value();
    else if (a === '--root-dir') opts.rootDir = value();
    else if (a === '--work-dir') opts.workDir = value();
    else if (a === '--dry-run') opts.dryRun = true;
    else { process.stderr.write(`plinth-agent: unknown option '${a}'\n${USAGE}`); return 2; }
  }
  try {
    return await dispatch(opts);
  } catch (e) {
    log(`failed: ${(e as Error).message}`);
    return 1;
  }
}

main(process.argv.slice(2)).then((code) => { process.exitCode = code; });
