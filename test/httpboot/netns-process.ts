/**
 * A JSON-lines server process (the DHCP or HTTP boot server's standalone.ts) run inside a network
 * namespace with `ip netns exec` (which execs, so the child's PID is the server's). Collects its
 * events; `stop()` sends SIGTERM to that PID (SIGKILL after 3 s) and waits for the exit.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export const REPO = fileURLToPath(new URL('../../', import.meta.url));

export class NetnsProcess<E> {
  readonly events: E[] = [];
  readonly errors: string[] = [];
  private constructor(readonly child: ChildProcess) {}

  static async start<E>(ns: string, script: string, settings: unknown, dir: string, tag: string): Promise<NetnsProcess<E>> {
    const file = join(dir, `${tag}.json`);
    writeFileSync(file, JSON.stringify(settings));
    const child = spawn('ip', ['netns', 'exec', ns, process.execPath, '--import', 'tsx', join(REPO, script), file], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
    const p = new NetnsProcess<E>(child);
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => { stderr += d.toString(); });
    await new Promise<void>((resolve, reject) => {
      createInterface({ input: child.stdout! }).on('line', (line) => {
        let msg: { ready?: unknown; event?: E; error?: string };
        try { msg = JSON.parse(line) as typeof msg; } catch { return; }
        if (msg.ready) resolve();
        if (msg.event) p.events.push(msg.event);
        if (msg.error) p.errors.push(msg.error);
      });
      child.once('exit', (code) => reject(new Error(`${script} exited (${code}): ${stderr}`)));
    });
    return p;
  }

  async waitFor(pred: (e: E) => boolean, timeoutMs: number): Promise<E | null> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const found = this.events.find(pred);
      if (found) return found;
      if (Date.now() > end || this.child.exitCode !== null) return null;
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  async stop(): Promise<void> {
    const c = this.child;
    if (c.exitCode !== null || c.signalCode !== null || !c.pid) return;
    const exited = new Promise((r) => c.once('exit', r));
    process.kill(c.pid, 'SIGTERM');
    const timer = setTimeout(() => { if (c.pid && c.exitCode === null) process.kill(c.pid, 'SIGKILL'); }, 3000);
    await exited;
    clearTimeout(timer);
  }
}
