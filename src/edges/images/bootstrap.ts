/**
 * The root filesystem of an image, made by mmdebstrap in root mode. Downloaded .debs are kept in
 * the cache directory: it is bind-mounted over the root's /var/cache/apt/archives for the whole
 * install (and unmounted before mmdebstrap's cleanup would empty it), so a rebuild with different
 * inputs only downloads what changed.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { exec, findTool } from './exec.ts';
import { ImageError } from './errors.ts';
import { DPKG_EXCLUDES } from './profiles.ts';

export interface BootstrapOptions {
  suite: string;
  arch: string;
  mirror: string;
  packages: string[];
  rootDir: string;
  cacheDir: string;
  /** Shell command run as a customize hook ("$1" is the root). */
  customize: string;
  /** Shell command run as an essential hook: after the essential set, before the other packages. */
  essential?: string;
  logFile: string;
}

const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

export function mmdebstrapArgs(o: BootstrapOptions): string[] {
  const archives = '"$1/var/cache/apt/archives"';
  return [
    '--mode=root', '--variant=apt', `--architectures=${o.arch}`,
    `--include=${o.packages.join(',')}`,
    ...DPKG_EXCLUDES.map((d) => `--dpkgopt=${d}`),
    '--aptopt=Acquire::Languages "none"',
    // The cache must keep what was downloaded for the essential set too.
    '--skip=essential/unlink',
    `--setup-hook=mkdir -p ${archives} && mount --bind ${q(o.cacheDir)} ${archives}`,
    ...(o.essential ? [`--essential-hook=${o.essential}`] : []),
    `--customize-hook=${o.customize}`,
    `--customize-hook=umount ${archives}`,
    o.suite, o.rootDir, `deb ${o.mirror} ${o.suite} main`,
  ];
}

/**
 * Builds sharing a cache directory take turns (flock on a file in it): apt holds the archives
 * directory's lock while downloading, and a second apt would fail on it rather than wait.
 */
export async function bootstrap(o: BootstrapOptions): Promise<void> {
  const mmdebstrap = findTool('mmdebstrap');
  if (!mmdebstrap) throw new ImageError('missing_tool', 'mmdebstrap is not installed');
  await exec('flock', [join(o.cacheDir, '.plinth-build.lock'), mmdebstrap, ...mmdebstrapArgs(o)], { logFile: o.logFile });
}

/** The one kernel in the root: its version (the /lib/modules directory name). */
export function kernelVersion(rootDir: string): string {
  const vers = readdirSync(join(rootDir, 'lib/modules')).filter((v) => /^\d/.test(v));
  if (vers.length !== 1) throw new ImageError('bad_root', `expected one kernel in ${rootDir}/lib/modules, found ${vers.length}`);
  return vers[0];
}

export async function installedPackages(rootDir: string): Promise<string> {
  return exec('dpkg-query', [`--admindir=${join(rootDir, 'var/lib/dpkg')}`, '-W', '-f', '${Package}\t${Version}\n']);
}
