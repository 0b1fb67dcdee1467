/**
 * Runs one script as maas-run-remote-scripts does: its own process group, stdout, stderr and both
 * combined captured to files, the MAAS environment variables set (OUTPUT_*_PATH, RESULT_PATH for an
 * optional result YAML, DOWNLOAD_PATH, RUNTIME), killed with its children when its timeout passes.
 * Scripts are scheduled in name order with MAAS's parallel rules (see schedule).
 */
import { spawn } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { log } from './log.ts';
import { scriptArgs, timeoutOf, type ScriptEntry } from './scripts-index.ts';

export interface ScriptRun {
  entry: ScriptEntry;
  exitStatus: number;
  runtime: number;
  timedOut: boolean;
  /** Result files as MAAS names them in a signal: `<name>`, `<name>.out`, `<name>.err`, `<name>.yaml`. */
  files: Array<{ name: string; data: Buffer }>;
  /** Set when the script did not run because installing its packages failed (the files are the install's output). */
  installFailed?: boolean;
}

export interface RunDirs { scripts: string; out: string; downloads: string }

function tail(buf: Buffer, lines = 20): string {
  return buf.toString('utf8').trimEnd().split('\n').slice(-lines).join('\n');
}

export function runScript(e: ScriptEntry, dirs: RunDirs, killGraceMs = 5000): Promise<ScriptRun> {
  const base = join(dirs.out, e.script_result_id === null ? e.name : `${e.name}.${e.script_result_id}`);
  mkdirSync(dirs.out, { recursive: true });
  const paths = { combined: base, out: `${base}.out`, err: `${base}.err`, yaml: `${base}.yaml` };
  const download = join(dirs.downloads, e.name);
  mkdirSync(download, { recursive: true });
  const timeout = timeoutOf(e);
  const args = scriptArgs(e);
  log(`starting ${e.name}${args.length ? ` ${args.join(' ')}` : ''}${timeout ? ` (timeout ${timeout} s)` : ''}`);
  const started = process.hrtime.bigint();
  return new Promise((resolve) => {
    const combined = createWriteStream(paths.combined);
    const out = createWriteStream(paths.out);
    const err = createWriteStream(paths.err);
    const child = spawn(join(dirs.scripts, e.path), args, {
      cwd: download, detached: true, stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env, OUTPUT_COMBINED_PATH: paths.combined, OUTPUT_STDOUT_PATH: paths.out, OUTPUT_STDERR_PATH: paths.err,
        RESULT_PATH: paths.yaml, DOWNLOAD_PATH: download, RUNTIME: String(timeout), HAS_STARTED: 'False',
      },
    });
    child.stdout.on('data', (c: Buffer) => { out.write(c); combined.write(c); });
    child.stderr.on('data', (c: Buffer) => { err.write(c); combined.write(c); });
    let timedOut = false;
    const kill = (sig: NodeJS.Signals) => { try { process.kill(-child.pid!, sig); } catch { /* already gone */ } };
    const timer = timeout > 0 ? setTimeout(() => {
      timedOut = true;
      log(`${e.name} timed out after ${timeout} s; stopping it`);
      kill('SIGTERM');
      setTimeout(() => kill('SIGKILL'), killGraceMs).unref();
    }, timeout * 1000) : undefined;
    let spawnError: string | undefined;
    child.on('error', (x) => { spawnError = x.message; });
    child.on('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      const runtime = Number(process.hrtime.bigint() - started) / 1e9;
      if (spawnError) { err.write(`plinth-agent: could not start ${e.name}: ${spawnError}\n`); combined.write(`plinth-agent: could not start ${e.name}: ${spawnError}\n`); }
      let pending = 3;
      const done = () => {
        if (--pending) return;
        const exitStatus = code ?? (signal ? 128 + (({ SIGTERM: 15, SIGKILL: 9 } as Record<string, number>)[signal] ?? 1) : 1);
        const files = [
          { name: e.name, data: readFileSync(paths.combined) }, { name: `${e.name}.out`, data: readFileSync(paths.out) },
          { name: `${e.name}.err`, data: readFileSync(paths.err) },
        ];
        if (existsSync(paths.yaml)) files.push({ name: `${e.name}.yaml`, data: readFileSync(paths.yaml) });
        log(`${e.name} ${timedOut ? 'timed out' : `finished with exit status ${exitStatus}`} after ${runtime.toFixed(2)} s`);
        if (exitStatus !== 0 || timedOut) { const t = tail(files[2].data); if (t) log(`${e.name} stderr:\n${t}`); }
        resolve({ entry: e, exitStatus, runtime, timedOut, files });
      };
      combined.end(done); out.end(done); err.end(done);
    });
  });
}

/**
 * Runs entries in name order, keeping MAAS's parallel rules: a `none` script runs alone (after all
 * running ones finish, before any later one starts); `instance` scripts run alongside instances of the
 * same script; `any` scripts run alongside other `any` scripts. Each finished run goes to `onDone`.
 */
export async function schedule(entries: ScriptEntry[], run: (e: ScriptEntry) => Promise<ScriptRun>,
  onDone: (r: ScriptRun) => Promise<void>): Promise<ScriptRun[]> {
  const results: ScriptRun[] = [];
  let running: Array<{ e: ScriptEntry; p: Promise<void> }> = [];
  const drain = async () => { await Promise.all(running.map((r) => r.p)); running = []; };
  const ordered = [...entries].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of ordered) {
    const compatible = running.every((r) => (e.parallel === 'any' && r.e.parallel === 'any')
      || (e.parallel === 'instance' && r.e.parallel === 'instance' && r.e.name === e.name));
    if (!compatible) await drain();
    const p = run(e).then(async (r) => { results.push(r); await onDone(r); });
    running.push({ e, p });
    if (e.parallel === 'none') await drain();
  }
  await drain();
  return results;
}
