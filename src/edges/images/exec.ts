/**
 * Running the build's host tools. Long steps (mmdebstrap, mksquashfs, tar) write to the build log
 * rather than the terminal; a failure quotes the log's tail so the reason is visible.
 */
import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { ImageError } from './errors.ts';

const SBIN_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export function findTool(name: string): string | undefined {
  for (const dir of `${process.env.PATH ?? ''}:${SBIN_PATH}`.split(':')) {
    if (dir && existsSync(`${dir}/${name}`)) return `${dir}/${name}`;
  }
  return undefined;
}

export interface ExecOptions {
  /** Append stdout and stderr here instead of capturing them. */
  logFile?: string;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
}

function tail(path: string, lines = 25): string {
  try {
    return readFileSync(path, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

/** Runs `cmd args`; resolves with captured stdout (empty when logging to a file). */
export function exec(cmd: string, args: string[], opts: ExecOptions = {}): Promise<string> {
  const bin = cmd.includes('/') ? cmd : findTool(cmd);
  if (!bin) return Promise.reject(new ImageError('missing_tool', `${cmd} is not installed`));
  return new Promise((resolve, reject) => {
    const fd = opts.logFile ? openSync(opts.logFile, 'a') : undefined;
    const child = spawn(bin, args, {
      cwd: opts.cwd,
      env: { ...process.env, PATH: `${process.env.PATH ?? ''}:${SBIN_PATH}`, ...opts.env },
      stdio: ['ignore', fd ?? 'pipe', fd ?? 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout?.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr?.setEncoding('utf8').on('data', (d: string) => (err += d));
    child.on('error', (e) => {
      if (fd !== undefined) closeSync(fd);
      reject(new ImageError('command_failed', `${cmd}: ${e.message}`));
    });
    child.on('close', (code, signal) => {
      if (fd !== undefined) closeSync(fd);
      if (code === 0) return resolve(out);
      const why = opts.logFile ? tail(opts.logFile) : (err.trim() || out.trim()).split('\n').slice(-25).join('\n');
      reject(new ImageError('command_failed', `${cmd} failed (exit ${code ?? signal})${opts.logFile ? ` — see ${opts.logFile}` : ''}:\n${why}`));
    });
  });
}
