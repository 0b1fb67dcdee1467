/**
 * A LeaseStore that survives restarts: an append-only journal of JSON lines,
 * `{"put":<Lease>}` or `{"del":"<ip>"}`, replayed on open.
 *
 * - Durability: changes are appended and `fdatasync`ed before their promise resolves; changes
 *   that arrive while a sync is in flight are written together by the next one (group commit), so
 *   throughput does not collapse to one fsync per lease.
 * - Compaction: when the journal holds many more lines than live records (or on a timer when it
 *   has changed), the live records are written to `<path>.tmp`, synced, and renamed over the
 *   journal (then the directory is synced) — a crash leaves either the old or the new file.
 * - A torn last line (crash mid-append) is ignored on replay, and the file is compacted on open.
 * - `offered` records are holds of a few seconds and are not journaled.
 *
 * One process owns the file. Two servers sharing leases (failover) share one store object.
 */
import { open, readFile, rename, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { type Lease, LeaseIndex, type LeaseStore } from './lease-store.ts';

export interface FileLeaseStoreOptions {
  /** Compact when journal lines exceed max(minLines, 2 × live records). Default 1000. */
  compactMinLines?: number;
  /** Also compact on this period if anything was appended (default 60 s; 0 disables). */
  compactIntervalMs?: number;
}

interface Pending { line: string; resolve: () => void; reject: (err: Error) => void }

export class FileLeaseStore extends LeaseIndex implements LeaseStore {
  private handle: FileHandle | null = null;
  private pending: Pending[] = [];
  private flushing: Promise<void> | null = null;
  private journalLines = 0;
  private appendedSinceCompaction = false;
  private timer: NodeJS.Timeout | null = null;
  private closed = false;
  /** Lines skipped on replay because they did not parse (a torn tail). */
  skippedOnOpen = 0;

  private constructor(readonly path: string, private readonly opts: Required<FileLeaseStoreOptions>) {
    super();
  }

  static async open(path: string, options: FileLeaseStoreOptions = {}): Promise<FileLeaseStore> {
    const store = new FileLeaseStore(path, { compactMinLines: options.compactMinLines ?? 1000, compactIntervalMs: options.compactIntervalMs ?? 60_000 });
    await store.replay();
    await store.compact();
    if (store.opts.compactIntervalMs > 0) {
      store.timer = setInterval(() => {
        if (store.appendedSinceCompaction && !store.closed) void store.enqueueCompaction().catch(() => undefined);
      }, store.opts.compactIntervalMs);
      store.timer.unref();
    }
    return store;
  }

  private async replay(): Promise<void> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
    for (const line of text.split('\n')) {
      if (line === '') continue;
      let entry: { put?: Lease; del?: string };
      try {
        entry = JSON.parse(line) as { put?: Lease; del?: string };
      } catch {
        this.skippedOnOpen += 1;
        continue;
      }
      if (entry.put && typeof entry.put.ip === 'string' && typeof entry.put.clientKey === 'string') this.apply(entry.put);
      else if (typeof entry.del === 'string') this.applyRemove(entry.del);
      else this.skippedOnOpen += 1;
    }
  }

  put(lease: Lease): Promise<void> {
    if (this.closed) return Promise.reject(new Error('lease store is closed'));
    this.apply(lease);
    if (lease.state === 'offered') return Promise.resolve();
    return this.enqueue(JSON.stringify({ put: lease }));
  }

  remove(ip: string): Promise<void> {
    if (this.closed) return Promise.reject(new Error('lease store is closed'));
    const existed = this.get(ip);
    this.applyRemove(ip);
    if (!existed) return Promise.resolve();
    return this.enqueue(JSON.stringify({ del: ip }));
  }

  private enqueue(line: string): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ line, resolve, reject });
      this.kick();
    });
  }

  private kick(): void {
    if (this.flushing) return;
    this.flushing = this.flushLoop().finally(() => {
      this.flushing = null;
      if (this.pending.length > 0) this.kick();
    });
  }

  private async flushLoop(): Promise<void> {
    while (this.pending.length > 0) {
      const batch = this.pending;
      this.pending = [];
      try {
        if (!this.handle) throw new Error('journal is not open');
        await this.handle.write(batch.map((p) => `${p.line}\n`).join(''));
        await this.handle.datasync();
        this.journalLines += batch.length;
        this.appendedSinceCompaction = true;
        for (const p of batch) p.resolve();
      } catch (err) {
        for (const p of batch) p.reject(err as Error);
      }
      if (this.journalLines > Math.max(this.opts.compactMinLines, 2 * this.byIp.size)) {
        await this.compact().catch(() => undefined);
      }
    }
  }

  /** Runs a compaction in the writer's turn (never concurrently with appends). */
  private async enqueueCompaction(): Promise<void> {
    while (this.flushing) await this.flushing;
    const run = this.compact();
    this.flushing = run.finally(() => { this.flushing = null; if (this.pending.length > 0) this.kick(); });
    await run;
  }

  private async compact(): Promise<void> {
    const records = [...this.byIp.values()].filter((l) => l.state !== 'offered');
    const tmp = `${this.path}.tmp`;
    const out = await open(tmp, 'w', 0o600);
    try {
      await out.write(records.map((l) => `${JSON.stringify({ put: l })}\n`).join(''));
      await out.sync();
    } finally {
      await out.close();
    }
    await this.handle?.close();
    this.handle = null;
    await rename(tmp, this.path);
    const dir = await open(dirname(this.path), 'r');
    try { await dir.sync(); } finally { await dir.close(); }
    this.handle = await open(this.path, 'a', 0o600);
    this.journalLines = records.length;
    this.appendedSinceCompaction = false;
  }

  /** Lines currently in the journal file (for tests and metrics). */
  get lines(): number {
    return this.journalLines;
  }

  /** Forces a compaction now (waits for in-flight writes first). */
  compactNow(): Promise<void> {
    return this.enqueueCompaction();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    while (this.flushing) await this.flushing;
    await this.handle?.close();
    this.handle = null;
  }
}
