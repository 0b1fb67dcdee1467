/**
 * Installs what a script's `packages` asks for before the script runs, as maas-run-remote-scripts
 * does: apt packages with `apt-get -qy --no-install-recommends install` (after `apt-get update` when
 * apt has no package cache yet; packages dpkg already lists as installed are not asked for, so a
 * script needing only what the image carries runs without a mirror), then URLs (url-packages.ts).
 * Snaps cannot be installed: the ephemeral environment has no snapd, so asking for one fails the
 * script at once, saying so. Plinth's own scripts (`default` in the index) install nothing: their
 * tools are part of the image.
 *
 * Installs run one at a time (apt and dpkg each hold a lock) and once per script name: instances of
 * one script (one per disk) share its install, as MAAS installs once for such a group.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { InstallLog } from './install-log.ts';
import type { ScriptEntry, ScriptPackages } from './scripts-index.ts';
import { APT_ENV, download, unpack } from './url-packages.ts';

export interface InstallResult {
  ok: boolean;
  /** The failing step's exit status (0 when ok). */
  exitStatus: number;
  /** The install's output as the script's result files (uploaded when it failed). */
  files: Array<{ name: string; data: Buffer }>;
}

const EMPTY: ScriptPackages = { apt: [], snap: [], url: [], problems: [] };

/** Whether the agent installs anything for this script. */
export function needsInstall(e: ScriptEntry): boolean {
  const p = e.packages ?? EMPTY;
  return e.default !== true && p.apt.length + p.snap.length + p.url.length + p.problems.length > 0;
}

export class PackageInstaller {
  private turn: Promise<unknown> = Promise.resolve();
  private byName = new Map<string, Promise<InstallResult>>();

  /** `rootDir` is where apt's package cache is looked for; `downloads` holds each script's download directory. */
  constructor(private readonly o: { rootDir: string; downloads: string }) {}

  install(e: ScriptEntry): Promise<InstallResult> {
    let done = this.byName.get(e.name);
    if (!done) {
      done = this.turn.then(() => this.installNow(e));
      this.turn = done.catch(() => undefined);
      this.byName.set(e.name, done);
    }
    return done;
  }

  private async installNow(e: ScriptEntry): Promise<InstallResult> {
    const log = new InstallLog();
    const p = e.packages ?? EMPTY;
    const fail = (exitStatus: number): InstallResult => ({ ok: false, exitStatus: exitStatus || 1, files: log.files(e.name) });
    for (const problem of p.problems) log.problem(`plinth-agent: ${problem}`);
    if (p.problems.length) return fail(2);
    if (p.snap.length) {
      log.problem(`plinth-agent: cannot install snap package${p.snap.length === 1 ? '' : 's'} ${p.snap.join(', ')}: Plinth's ephemeral `
        + 'environment has no snapd. Use apt or url packages instead.');
      return fail(1);
    }
    if (p.apt.length) {
      const status = await this.apt(p.apt, log);
      if (status !== 0) return fail(status);
    }
    if (p.url.length) {
      const dir = join(this.o.downloads, e.name);
      mkdirSync(dir, { recursive: true });
      log.note(`Downloading and extracting URLs for ${e.name}`);
      for (const url of p.url) {
        let file: string;
        try {
          file = await download(url, dir, log);
        } catch (err) {
          log.problem(`plinth-agent: cannot download ${url}: ${(err as Error).message}`);
          return fail(1);
        }
        const status = await unpack(file, dir, log);
        if (status !== 0) return fail(status);
      }
    }
    return { ok: true, exitStatus: 0, files: log.files(e.name) };
  }

  private async apt(packages: string[], log: InstallLog): Promise<number> {
    const bad = packages.filter((p) => p.startsWith('-') || /\s/.test(p));
    if (bad.length) {
      log.problem(`plinth-agent: not apt package names: ${bad.join(', ')}`);
      return 2;
    }
    const missing: string[] = [];
    for (const name of packages) if (!(await installed(name))) missing.push(name);
    const have = packages.filter((p) => !missing.includes(p));
    if (have.length) log.note(`Already installed: ${have.join(', ')}`);
    if (!missing.length) return 0;
    log.note(`Installing apt packages: ${missing.join(', ')}`);
    if (!existsSync(join(this.o.rootDir, 'var/cache/apt/pkgcache.bin'))) {
      const updated = await log.run('apt-get', ['-qy', 'update'], { env: APT_ENV });
      if (updated !== 0) return updated;
    }
    return log.run('apt-get', ['-qy', '--no-install-recommends', 'install', ...missing], { env: APT_ENV });
  }
}

/** Whether dpkg lists the package as installed (anything else, including no dpkg, is no). */
function installed(name: string): Promise<boolean> {
  return new Promise((resolve) => {
    execFile('dpkg-query', ['-W', '-f=${db:Status-Status}', name], { timeout: 60_000 }, (err, stdout) => resolve(!err && stdout.trim() === 'installed'));
  });
}
