/**
 * Plinth as an operator runs it on two hosts' worth of processes: `plinth region` and `plinth rack run`
 * as child processes of the test (bin/plinth, the installed entry point), so a fault test can SIGKILL
 * either one and start it again on the same data directory. The admin and its key come from the CLI
 * (`createadmin`, `apikey`) before the region starts; the region's images directory is the cached lab
 * images (.cache/images), which the rack then syncs into its own cache as a real rack does.
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { call, type Field } from '../../src/cli/client/request.ts';
import { freePort, IMAGES_DIR, until, type Api } from './harness.ts';

const run = promisify(execFile);
const PLINTH = resolve('bin/plinth');

export interface Proc { child: ChildProcess; output: () => string }

function spawnPlinth(args: string[]): Proc {
  const child = spawn(PLINTH, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const keep = (d: Buffer) => { out = (out + d.toString()).slice(-200_000); };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  return { child, output: () => out };
}

/** Signals the process by its PID and waits for it to exit (SIGKILL after 10 s). */
export async function stopProc(p: Proc | undefined, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (!p || p.child.exitCode !== null || p.child.signalCode !== null) return;
  const exited = new Promise((r) => p.child.once('exit', r));
  p.child.kill(signal);
  const t = setTimeout(() => p.child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(t);
}

/** A process's output without the per-request access lines (they bury what a failed step needs). */
const quiet = (p: Proc | undefined) => (p?.output() ?? '').split('\n').filter((l) => !/"msg":"(incoming request|request completed)"/.test(l)).join('\n');

export interface SplitPlinth {
  api: Api;
  url: string;
  region: () => Proc;
  rack: () => Proc;
  startRegion(): Promise<void>;
  startRack(): Promise<void>;
  /** Region and rack output tails, for a failed step's message. */
  logs(): string;
  close(): Promise<void>;
}

export async function startSplitPlinth(o: { sshKeyFile: string }): Promise<SplitPlinth> {
  const dir = mkdtempSync(join(tmpdir(), 'plinth-e2e-split-'));
  const regionDir = join(dir, 'region');
  const rackDir = join(dir, 'rack');
  const cli = async (...args: string[]) => (await run(PLINTH, args, { maxBuffer: 1 << 20 })).stdout.trim();
  await cli('createadmin', '--data-dir', regionDir, '--username', 'admin', '--password', 'admin-pass', '--email', 'admin@example.com', '--ssh-key-file', o.sshKeyFile);
  const apiKey = (await cli('apikey', '--data-dir', regionDir, '--username', 'admin')).split('\n')[0];
  symlinkSync(IMAGES_DIR, join(regionDir, 'images'));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}/MAAS/`;
  const api: Api = async (method, path, fields = []) => {
    const list: Field[] = fields.map(([name, value]) => ({ name, value }));
    const r = await call({ method, url: `${url}api/2.0/${path}`, apiKey, fields: list });
    const text = r.body.toString();
    return { status: r.status, text, json: () => JSON.parse(text) };
  };
  let region: Proc | undefined;
  let rack: Proc | undefined;
  const s: SplitPlinth = {
    api, url,
    region: () => region!,
    rack: () => rack!,
    async startRegion() {
      region = spawnPlinth(['region', '--data-dir', regionDir, '--port', String(port), '--log-level', 'info']);
      await until('the region to answer', async () => (await api('GET', 'version/').catch(() => ({ status: 0 }))).status === 200, 120_000, 500);
    },
    async startRack() {
      rack = spawnPlinth(['rack', 'run', '--data-dir', rackDir, '--log-level', 'info']);
      await until('the rack to link', async () => /rack linked to its region/.test(rack!.output()), 60_000, 500);
    },
    logs: () => `--- region ---\n${quiet(region).slice(-8000)}\n--- rack ---\n${quiet(rack).slice(-6000)}`,
    async close() {
      await stopProc(rack);
      await stopProc(region);
      rmSync(dir, { recursive: true, force: true });
    },
  };
  await s.startRegion();
  const secret = await cli('rack', 'secret', '--data-dir', regionDir);
  await cli('rack', 'register', '--url', url, '--secret', secret, '--data-dir', rackDir);
  writeFileSync(join(dir, 'README'), 'Plinth e2e: region/ and rack/ data directories of a split (two-process) Plinth.\n');
  await s.startRack();
  return s;
}
