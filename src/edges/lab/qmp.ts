/**
 * A small client for the QEMU Machine Protocol (QEMU's docs/interop/qmp-spec.rst): JSON objects over
 * a Unix socket, one per line. The server greets with {"QMP": …}; the client must send
 * `qmp_capabilities` before anything else; each command gets {"return": …} or {"error": …},
 * matched here by the optional "id" member; {"event": …} messages are asynchronous and ignored.
 */
import { connect, type Socket } from 'node:net';
import { LabError } from './errors.ts';

type Pending = { resolve: (v: unknown) => void; reject: (e: Error) => void };

export class QmpClient {
  private buf = '';
  private nextId = 1;
  private readonly pending = new Map<string, Pending>();
  private greeted: Pending | null = null;

  private constructor(private readonly sock: Socket, private readonly path: string) {
    sock.setEncoding('utf8');
    sock.on('data', (chunk: string) => this.onData(chunk));
    sock.on('close', () => this.failAll(new LabError('command_failed', `QMP ${path}: connection closed`)));
    sock.on('error', (err) => this.failAll(new LabError('command_failed', `QMP ${path}: ${err.message}`)));
  }

  /** Connects, waits for the greeting and negotiates capabilities. */
  static async open(path: string, timeoutMs = 5000): Promise<QmpClient> {
    const sock = connect(path);
    const client = new QmpClient(sock, path);
    const timer = setTimeout(() => sock.destroy(new Error(`no QMP greeting within ${timeoutMs} ms`)), timeoutMs);
    try {
      await new Promise((resolve, reject) => (client.greeted = { resolve, reject }));
      await client.execute('qmp_capabilities');
    } catch (err) {
      sock.destroy();
      throw err;
    } finally {
      clearTimeout(timer);
    }
    return client;
  }

  execute(command: string, args?: Record<string, unknown>, timeoutMs = 5000): Promise<unknown> {
    const id = String(this.nextId++);
    const msg = JSON.stringify(args ? { execute: command, arguments: args, id } : { execute: command, id });
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new LabError('command_failed', `QMP ${command}: no answer within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, {
        resolve: (v) => (clearTimeout(timer), resolve(v)),
        reject: (e) => (clearTimeout(timer), reject(e)),
      });
      this.sock.write(`${msg}\n`);
    });
  }

  close(): void {
    this.sock.end();
    this.sock.destroy();
  }

  private onData(chunk: string): void {
    this.buf += chunk;
    for (let nl = this.buf.indexOf('\n'); nl >= 0; nl = this.buf.indexOf('\n')) {
      const line = this.buf.slice(0, nl).trim();
      this.buf = this.buf.slice(nl + 1);
      if (line) this.onMessage(line);
    }
  }

  private onMessage(line: string): void {
    let msg: Record<string, unknown>;
    try {
      msg = JSON.parse(line) as Record<string, unknown>;
    } catch {
      return;
    }
    if ('QMP' in msg) {
      this.greeted?.resolve(msg.QMP);
      this.greeted = null;
      return;
    }
    if ('event' in msg) return;
    const id = typeof msg.id === 'string' ? msg.id : undefined;
    const waiter = id ? this.pending.get(id) : undefined;
    if (!id || !waiter) return;
    this.pending.delete(id);
    if ('error' in msg) {
      const e = msg.error as { class?: string; desc?: string };
      waiter.reject(new LabError('command_failed', `QMP error ${e.class ?? ''}: ${e.desc ?? line}`));
    } else {
      waiter.resolve(msg.return);
    }
  }

  private failAll(err: Error): void {
    this.greeted?.reject(err);
    this.greeted = null;
    for (const w of this.pending.values()) w.reject(err);
    this.pending.clear();
  }
}

/** Opens, runs one or more commands in order, closes. */
export async function qmpRun(path: string, commands: Array<[string, Record<string, unknown>?]>, timeoutMs = 5000): Promise<unknown[]> {
  const c = await QmpClient.open(path, timeoutMs);
  try {
    const out: unknown[] = [];
    for (const [cmd, args] of commands) out.push(await c.execute(cmd, args, timeoutMs));
    return out;
  } finally {
    c.close();
  }
}
