/**
 * `plinth images build`: one image kind from Debian packages, cached by its inputs.
 *
 *   <out>/builds/<kind>-<suite>-<arch>-<key>/   finished builds (manifest.json + outputs), immutable
 *   <out>/builds/.tmp-…                         a build in progress (renamed into place when done)
 *   <out>/logs/<kind>-<suite>-<arch>-<key>.log   tool output of the last attempt
 *   <out>/<kind>/<arch>/<suite>                  → the published build (publish.ts)
 */
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { resolveAgent, type AgentBundle } from './agent.ts';
import { resolveMirror } from './apt-sources.ts';
import { bootstrap, installedPackages, kernelVersion } from './bootstrap.ts';
import { ImageError } from './errors.ts';
import { exec, findTool } from './exec.ts';
import { ASSETS, buildInitramfs } from './initramfs.ts';
import {
  buildDirName, cacheKey, describeOutputs, manifestText, parsePackageList, type BuildInputs, type Manifest,
} from './manifest.ts';
import { BUILDER_VERSION, INITRD_MODULES, OUTPUTS, packagesOf, type ImageKind } from './profiles.ts';
import { steps, type Say } from './progress.ts';
import { addLayoutLinks, publish, writeChecksumMarkers } from './publish.ts';
import { claimBuild, removeTree } from './workspace.ts';

export interface BuildOptions {
  kind: ImageKind;
  suite: string;
  arch: string;
  mirror?: string;
  outDir: string;
  cacheDir: string;
  /** Agent bundle for the ephemeral image; default: build it from src/agent if present. */
  agent?: string;
  say: Say;
  /** For tests: where the host's apt configuration lives. */
  aptDir?: string;
}

export interface BuildResult {
  kind: ImageKind;
  key: string;
  dir: string;
  published: string;
  cached: boolean;
  manifest: Manifest;
  seconds: number;
}

const SCRIPT_FILES = ['init.sh', 'udhcpc.sh', 'customize-ephemeral.sh', 'customize-debian.sh'];

/** sha256 over the builder's shell assets: editing /init or a hook changes the cache key. */
export function scriptsHash(): string {
  const h = createHash('sha256');
  for (const f of SCRIPT_FILES) h.update(f).update('\0').update(readFileSync(join(ASSETS, f))).update('\0');
  return h.digest('hex');
}

function preflight(o: BuildOptions) {
  if (o.arch !== 'amd64') throw new ImageError('bad_option', `only amd64 images can be built (got --arch ${o.arch})`);
  if (!/^[a-z][a-z0-9-]*$/.test(o.suite)) throw new ImageError('bad_option', `--suite must be a Debian codename (got ${o.suite})`);
  if (process.getuid?.() !== 0) throw new ImageError('not_root', 'building images needs root (mmdebstrap --mode=root, mounts)');
  const tools = ['mmdebstrap', 'flock', 'modprobe', 'dpkg-query', ...(o.kind === 'ephemeral' ? ['mksquashfs'] : ['tar', 'gzip'])];
  const missing = tools.filter((t) => !findTool(t));
  if (missing.length) throw new ImageError('missing_tool', `missing host tools: ${missing.join(', ')}`);
}

export async function buildImage(opts: BuildOptions): Promise<BuildResult> {
  // Absolute paths: they end up in mount and hook command lines run from other directories.
  const o = { ...opts, outDir: resolve(opts.outDir), cacheDir: resolve(opts.cacheDir) };
  preflight(o);
  const t0 = Date.now();
  const mirror = resolveMirror(o.suite, o.mirror, o.aptDir);
  const builds = join(o.outDir, 'builds');
  mkdirSync(builds, { recursive: true });
  await sweepStale(o.outDir);
  mkdirSync(o.cacheDir, { recursive: true });
  let agent: AgentBundle | null = null;
  if (o.kind === 'ephemeral') agent = await resolveAgent(o.agent, join(o.cacheDir, '..', 'agent'), (w) => o.say(`warning: ${w}`));
  const inputs: BuildInputs = {
    kind: o.kind, suite: o.suite, arch: o.arch, mirror, packages: packagesOf(o.kind),
    builderVersion: BUILDER_VERSION, scripts: scriptsHash(), agent: agent?.sha256 ?? null,
  };
  const key = cacheKey(inputs);
  const name = buildDirName(inputs, key);
  const dir = join(builds, name);
  const cached = (): BuildResult | null => {
    if (!existsSync(join(dir, 'manifest.json'))) return null;
    const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as Manifest;
    writeChecksumMarkers(dir, o.kind, manifest.outputs);
    const published = publish(o.outDir, o.kind, o.arch, o.suite, dir);
    const seconds = (Date.now() - t0) / 1000;
    o.say(`[${o.kind}] cached: ${dir} (${seconds.toFixed(1)} s)`);
    return { kind: o.kind, key, dir, published, cached: true, manifest, seconds };
  };
  const hit = cached();
  if (hit) return hit;
  const release = await claimBuild(builds, name, (pid) => o.say(`[${o.kind}] waiting for the build of the same inputs by process ${pid}`));
  try {
    return cached() ?? await build(o, { inputs, key, name, dir, builds, agent, mirror, t0 });
  } finally {
    release();
  }
}

interface Planned { inputs: BuildInputs; key: string; name: string; dir: string; builds: string; agent: AgentBundle | null; mirror: string; t0: number }

async function build(o: BuildOptions, p: Planned): Promise<BuildResult> {
  const { inputs, key, name, dir, builds, agent, mirror, t0 } = p;
  o.say(`[${o.kind}] building ${name} from ${mirror}`);
  const tmp = join(builds, `.tmp-${name}-${process.pid}`);
  mkdirSync(join(o.outDir, 'logs'), { recursive: true });
  const logFile = join(o.outDir, 'logs', `${name}.log`);
  writeFileSync(logFile, '');
  const s = steps(o.kind, o.say);
  try {
    mkdirSync(tmp);
    const rootDir = join(tmp, 'root');
    /** An mmdebstrap hook running one of the builder's scripts on the root ("$1"). */
    const script = (name: string, ...args: string[]) => [`sh ${JSON.stringify(join(ASSETS, name))} "$1"`, ...args.map((a) => JSON.stringify(a))].join(' ');
    const hook = o.kind === 'ephemeral' ? script('customize-ephemeral.sh', agent?.path ?? '') : script('customize-debian.sh');
    const essential = o.kind === 'ephemeral' ? script('essential-ephemeral.sh') : undefined;
    await s.step(`mmdebstrap (${inputs.packages.length} packages; log ${logFile})`, () => bootstrap({
      suite: o.suite, arch: o.arch, mirror, packages: inputs.packages, rootDir, cacheDir: o.cacheDir, customize: hook, essential, logFile,
    }));
    const kver = kernelVersion(rootDir);
    const packages = parsePackageList(await installedPackages(rootDir));
    if (o.kind === 'ephemeral') {
      copyFileSync(join(rootDir, 'boot', `vmlinuz-${kver}`), join(tmp, 'vmlinuz'));
      await s.step('initramfs', async () => {
        const r = await buildInitramfs(rootDir, kver, INITRD_MODULES);
        writeFileSync(join(tmp, 'initrd'), r.data);
        o.say(`[${o.kind}]   kernel ${kver}, ${r.modules} modules, initrd ${r.data.length} bytes`);
      });
      await s.step('mksquashfs (zstd)', () => exec('mksquashfs', [rootDir, join(tmp, 'squashfs'), '-comp', 'zstd', '-noappend', '-no-progress', '-quiet'], { logFile }));
    } else {
      await s.step('root.tgz', () => exec('tar', ['--numeric-owner', '--xattrs', '--xattrs-include=*', '-C', rootDir, '-czf', join(tmp, 'root.tgz'), '.'], { logFile }));
    }
    await s.step('clean up the root', () => removeTree(rootDir));
    const outputs = await s.step('checksums', () => describeOutputs(tmp, OUTPUTS[o.kind]));
    const manifest: Manifest = {
      key, inputs, outputs, packages, kernel: kver, builtAt: new Date().toISOString(), seconds: (Date.now() - t0) / 1000,
    };
    writeFileSync(join(tmp, 'manifest.json'), manifestText(manifest));
    addLayoutLinks(tmp, o.kind);
    writeChecksumMarkers(tmp, o.kind, outputs);
    if (existsSync(dir)) {
      await removeTree(tmp); // another build of the same inputs finished first: keep that one
    } else {
      renameSync(tmp, dir);
    }
    const published = publish(o.outDir, o.kind, o.arch, o.suite, dir);
    for (const f of outputs) o.say(`[${o.kind}]   ${f.name}: ${(f.size / 1048576).toFixed(1)} MiB sha256 ${f.sha256.slice(0, 16)}…`);
    o.say(`[${o.kind}] built ${dir} in ${s.elapsed().toFixed(1)} s`);
    return { kind: o.kind, key, dir, published, cached: false, manifest, seconds: s.elapsed() };
  } catch (err) {
    await removeTree(tmp).catch((e: Error) => o.say(`warning: ${e.message}`));
    throw err;
  }
}

/** Stale temporary directories of builds that were killed (not of running ones: their PID lives). */
export async function sweepStale(outDir: string): Promise<void> {
  const builds = join(outDir, 'builds');
  if (!existsSync(builds)) return;
  for (const d of readdirSync(builds)) {
    const pid = Number(/^\.tmp-.*-(\d+)$/.exec(d)?.[1]);
    if (!pid || existsSync(`/proc/${pid}`)) continue;
    await removeTree(join(builds, d));
  }
}
