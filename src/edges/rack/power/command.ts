/**
 * Running a BMC client program once: no shell, an argv array, a hard time bound and an abort signal.
 * On timeout or abort the child is killed by its PID. Secrets never go on the argv (see ipmi.ts).
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface CommandResult { code: number | null; stdout: string; stderr: string; timedOut: boolean; aborted: boolean }

export interface RunOptions { timeoutMs: number; signal?: AbortSignal; env?: NodeJS.ProcessEnv }

export function runCommand(argv: readonly string[], opts: RunOptions): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    if (opts.signal?.aborted) { resolve({ code: null, stdout: '', stderr: '', timedOut: false, aborted: true }); return; }
    const child = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], env: opts.env ?? process.env });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    let aborted = false;
    const kill = () => { if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL'); };
    const timer = setTimeout(() => { timedOut = true; kill(); }, opts.timeoutMs);
    const onAbort = () => { aborted = true; kill(); };
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    child.stdout.setEncoding('utf8').on('data', (d: string) => { if (stdout.length < 65536) stdout += d; });
    child.stderr.setEncoding('utf8').on('data', (d: string) => { if (stderr.length < 65536) stderr += d; });
    const done = () => { clearTimeout(timer); opts.signal?.removeEventListener('abort', onAbort); };
    child.on('error', (err) => { done(); reject(err); });
    child.on('close', (code) => { done(); resolve({ code, stdout, stderr, timedOut, aborted }); });
  });
}

/**
 * Runs `fn` with a private directory (mode 0700) holding files of mode 0600, and removes the directory
 * afterwards whatever happens. Used to hand secrets to client programs through files instead of argv.
 */
export async function withPrivateFiles<T>(baseDir: string | undefined, files: Record<string, string>,
  fn: (paths: Record<string, string>) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(baseDir ?? tmpdir(), 'plinth-power-'));
  try {
    const paths: Record<string, string> = {};
    for (const [name, content] of Object.entries(files)) {
      paths[name] = join(dir, name);
      await writeFile(paths[name], content, { mode: 0o600, flag: 'wx' });
    }
    return await fn(paths);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
