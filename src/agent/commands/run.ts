/**
 * `plinth-agent run`: fetch this machine's scripts from the metadata service, run them, report each
 * result, then report the outcome. Phases follow the index: commissioning scripts (fetched again after
 * they pass, until the region lists nothing new), then testing ones (announced with `signal
 * status=TESTING`), then release ones. A script's packages are installed first (packages.ts). The first
 * phase with a failed or timed out script (or failed install) ends the run with `signal status=FAILED`
 * naming the scripts; otherwise `status=OK`.
 */
import { chmodSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve, sep } from 'node:path';
import { loadConfig, type AgentConfig } from '../config.ts';
import { DEFAULT_RETRY, send, type Part, type RetryPolicy } from '../http.ts';
import { log } from '../log.ts';
import { needsInstall, PackageInstaller } from '../packages.ts';
import { runScript, schedule, type RunDirs, type ScriptRun } from '../runner.ts';
import { parseIndex, type ScriptEntry, type ScriptsIndex } from '../scripts-index.ts';
import { readTar } from '../tar.ts';

export interface RunOptions {
  /** The credentials already in hand (enlistment just got them); else read from the cloud-init config. */
  config?: AgentConfig;
  configFile?: string;
  rootDir?: string;
  workDir?: string;
  /** Run only the scripts that just read the machine (named here); report the others as not run. */
  dryRun?: boolean;
  readOnly?: string[];
  retry?: RetryPolicy;
}

export const READ_ONLY_SCRIPTS = ['00-plinth-facts', '10-plinth-modaliases', '20-lshw', '40-dmidecode', '50-storage-layout'];
/** A region that keeps listing new commissioning scripts after this many rounds is not converging. */
const MAX_COMMISSIONING_PASSES = 10;

/** A tar member's path inside the work directory, or an error for one that would leave it. */
function safePath(root: string, name: string): string {
  const p = resolve(root, name);
  if (p !== root && !p.startsWith(root + sep)) throw new Error(`The scripts archive holds a path outside its directory: ${name}`);
  return p;
}

function extract(tar: Buffer, root: string): void {
  for (const e of readTar(tar)) {
    if (e.type === 'other' || e.name.startsWith('../')) continue; // ../config/netplan.yaml is for the installer
    const p = safePath(root, e.name);
    if (e.type === 'dir') { mkdirSync(p, { recursive: true }); continue; }
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, e.data);
    chmodSync(p, 0o755);
  }
}

export async function run(opts: RunOptions): Promise<number> {
  const cfg: AgentConfig = opts.config ?? loadConfig(opts);
  const policy = opts.retry ?? DEFAULT_RETRY;
  const signal = async (fields: Record<string, string | number | null | undefined>, files: ScriptRun['files'] = []) => {
    const parts: Part[] = [{ name: 'op', value: 'signal' }];
    for (const [k, v] of Object.entries(fields)) if (v !== undefined && v !== null) parts.push({ name: k, value: String(v) });
    for (const f of files) parts.push({ name: f.name, value: f.data, filename: f.name });
    await send(cfg, policy, 'POST', 'latest/?op=signal', parts);
  };

  log(`metadata service ${cfg.metadata_url}`);
  const reply = await send(cfg, policy, 'GET', 'latest/maas-scripts/');
  if (reply.status === 204) {
    // Rescue mode (and anything else with no scripts): report the environment up, as MAAS's rescue user
    // data does; the rescue preseed has no power_state, so the machine stays on for its owner to SSH in.
    log('nothing to run; signalling OK (the environment stays up when the preseed says so)');
    await signal({ status: 'OK' });
    return 0;
  }
  const work = opts.workDir ?? join(opts.rootDir ?? '/', 'tmp/plinth-agent');
  rmSync(work, { recursive: true, force: true });
  const scriptsDir = join(work, 'scripts');
  /** Unpacks a maas-scripts archive over a fresh scripts directory; its index, or why it cannot be used. */
  const unpackArchive = (tar: Buffer): ScriptsIndex | { error: string } => {
    rmSync(scriptsDir, { recursive: true, force: true });
    mkdirSync(scriptsDir, { recursive: true });
    extract(tar, scriptsDir);
    try {
      return parseIndex(readIndex(scriptsDir));
    } catch (e) {
      return { error: `The scripts archive cannot be used: ${(e as Error).message}` };
    }
  };
  const fail = async (error: string) => { log(error); await signal({ status: 'FAILED', error }); return 1; };
  let index = unpackArchive(reply.body);
  if ('error' in index) return fail(index.error);
  const dirs: RunDirs = { scripts: scriptsDir, out: join(work, 'out'), downloads: join(work, 'downloads') };
  const readOnly = new Set(opts.readOnly ?? READ_ONLY_SCRIPTS);
  const installer = new PackageInstaller({ rootDir: opts.rootDir ?? '/', downloads: dirs.downloads });

  const execute = async (e: ScriptEntry): Promise<ScriptRun> => {
    if (opts.dryRun && !readOnly.has(e.name)) {
      await signal({ status: 'WORKING', script_result_id: e.script_result_id, name: e.name });
      // Reported with no output at all: there is nothing for the region to read, or to mistake for real output.
      log(`${e.name}: not run (--dry-run runs only ${[...readOnly].join(', ')})`);
      return { entry: e, exitStatus: 0, runtime: 0, timedOut: false, files: [] };
    }
    if (needsInstall(e)) {
      await signal({ status: 'INSTALLING', script_result_id: e.script_result_id, name: e.name });
      log(`${e.name}: installing its packages`);
      const got = await installer.install(e);
      if (!got.ok) {
        log(`${e.name}: installing its packages failed (exit status ${got.exitStatus}):\n${got.files[0].data.toString().trimEnd().split('\n').slice(-20).join('\n')}`);
        return { entry: e, exitStatus: got.exitStatus, runtime: 0, timedOut: false, files: got.files, installFailed: true };
      }
    }
    await signal({ status: 'WORKING', script_result_id: e.script_result_id, name: e.name });
    return runScript(e, dirs);
  };
  // A failed install is reported as maas-run-remote-scripts does: status INSTALLING with the exit status.
  const report = (r: ScriptRun) => signal({
    status: r.installFailed ? 'INSTALLING' : r.timedOut ? 'TIMEDOUT' : 'WORKING', script_result_id: r.entry.script_result_id,
    script_version_id: r.entry.script_version_id, name: r.entry.name, exit_status: r.exitStatus, runtime: r.runtime.toFixed(3),
    error: r.installFailed ? `Failed installing package(s) for ${r.entry.name}` : undefined,
  }, r.files);
  /** Runs a phase's scripts; false (after signalling FAILED) when any failed. */
  const runPhase = async (phase: string, entries: ScriptEntry[]): Promise<boolean> => {
    log(`${phase}: ${entries.length} script${entries.length === 1 ? '' : 's'}`);
    const results = await schedule(entries, execute, report);
    const failed = results.filter((r) => r.exitStatus !== 0 || r.timedOut).map((r) => r.entry.name);
    if (!failed.length) return true;
    await fail(`Failed ${phase} script${failed.length === 1 ? '' : 's'}: ${[...new Set(failed)].sort().join(', ')}`);
    return false;
  };

  // Commissioning, as maas-run-remote-scripts: after the scripts pass, fetch the archive again. The region
  // may now list scripts for hardware these scripts found (for_hardware), or the built-in scripts once
  // more (a script asked for recommissioning); run what is new until nothing is.
  let ranBefore = false;
  let lastPass = '';
  for (let pass = 1; ; pass++) {
    const entries = index.commissioning.filter((e) => !e.has_finished);
    if (!entries.length) break;
    const ids = entries.map((e) => e.script_result_id).sort().join(',');
    if (ids === lastPass || pass > MAX_COMMISSIONING_PASSES) {
      return fail(`The region still lists commissioning scripts as not run after they reported: ${entries.map((e) => e.name).join(', ')}`);
    }
    if (!(await runPhase('commissioning', entries))) return 1;
    ranBefore = true;
    // Without result ids the region keeps no record of this run: nothing new can come of asking again.
    if (entries.some((e) => e.script_result_id === null)) break;
    lastPass = ids;
    const again = await send(cfg, policy, 'GET', 'latest/maas-scripts/');
    if (again.status === 204) { index = { commissioning: [], testing: [], release: [] }; break; }
    const next = unpackArchive(again.body);
    if ('error' in next) return fail(next.error);
    index = next;
  }
  for (const [phase, all] of [['testing', index.testing], ['release', index.release]] as const) {
    const entries = all.filter((e) => !e.has_finished);
    if (!entries.length) continue;
    if (phase === 'testing' && ranBefore) await signal({ status: 'TESTING' });
    if (!(await runPhase(phase, entries))) return 1;
    ranBefore = true;
  }
  log('all scripts passed');
  await signal({ status: 'OK' });
  return 0;
}

function readIndex(dir: string): string {
  try {
    return readFileSync(join(dir, 'index.json'), 'utf8');
  } catch {
    throw new Error('index.json is missing.');
  }
}
