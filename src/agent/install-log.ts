/**
 * The output of installing a script's packages: notes and every command's stdout and stderr, kept as
 * the script's own output is (combined, stdout, stderr). A failed install uploads it as the script's
 * result, so the user sees why apt-get or a download failed.
 */
import { spawn } from 'node:child_process';

/** No install step may hang a commissioning: a command still running after this long is killed. */
const COMMAND_LIMIT_MS = 30 * 60 * 1000;

export class InstallLog {
  private combined: Buffer[] = [];
  private out: Buffer[] = [];
  private err: Buffer[] = [];

  note(line: string): void { const b = Buffer.from(`${line}\n`); this.out.push(b); this.combined.push(b); }
  problem(line: string): void { const b = Buffer.from(`${line}\n`); this.err.push(b); this.combined.push(b); }

  /** Runs a command (its output joins the log unless `quiet`); resolves to its exit status (127: could not start). */
  run(cmd: string, args: string[], opts: { quiet?: boolean; env?: NodeJS.ProcessEnv; limitMs?: number } = {}): Promise<number> {
    if (!opts.quiet) this.note(`$ ${[cmd, ...args].join(' ')}`);
    return new Promise((resolve) => {
      const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true, env: { ...process.env, ...opts.env } });
      child.stdout.on('data', (c: Buffer) => { if (!opts.quiet) { this.out.push(c); this.combined.push(c); } });
      child.stderr.on('data', (c: Buffer) => { if (!opts.quiet) { this.err.push(c); this.combined.push(c); } });
      const limit = opts.limitMs ?? COMMAND_LIMIT_MS;
      const timer = setTimeout(() => {
        this.problem(`plinth-agent: ${cmd} still running after ${Math.round(limit / 1000)} s; stopped`);
        try { process.kill(-child.pid!, 'SIGKILL'); } catch { /* already gone */ }
      }, limit);
      let failed: string | undefined;
      child.on('error', (e) => { failed = e.message; });
      child.on('close', (code) => {
        clearTimeout(timer);
        if (failed !== undefined) { this.problem(`plinth-agent: could not run ${cmd}: ${failed}`); resolve(127); return; }
        resolve(code ?? 1);
      });
    });
  }

  /** The log as a script result's files: `<name>` combined, `<name>.out`, `<name>.err`. */
  files(name: string): Array<{ name: string; data: Buffer }> {
    return [
      { name, data: Buffer.concat(this.combined) }, { name: `${name}.out`, data: Buffer.concat(this.out) },
      { name: `${name}.err`, data: Buffer.concat(this.err) },
    ];
  }
}
