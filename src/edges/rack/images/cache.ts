/**
 * The rack's image cache: makes `<rack-data-dir>/images` hold the region's complete images.
 *
 *   const cache = new ImageCache({ root, stateFile, maxBytes }).start();   // hooks into the HTTP server's file opening
 *   cache.on('progress', (p: ImageProgress) => …);
 *   const r = await cache.sync(manifest, { url: (path) => …, headers: async () => ({ authorization: … }) });
 *   await cache.stop();
 *
 * A sync, given the region's manifest: removes files the manifest no longer names (a file being
 * served goes once its download ends), evicts what the budget does not admit (policy.ts), then
 * downloads the missing or changed files one at a time into `<file>.partial` — resuming an
 * interrupted one with a range request — verifies the whole file's sha256, and publishes it (disk.ts:
 * fsync, rename, marker last), so only complete, verified files are ever served. A checksum mismatch
 * deletes the partial and retries with backoff; a file that still fails is reported (state `failed`
 * with the reason) and the others go on. When the manifest's directory is this directory (the rack in
 * `plinth start`), nothing is copied or removed; a directory that is not the cache's own (`owned`
 * false: given explicitly) and not the region's is not touched at all.
 */
import { EventEmitter } from 'node:events';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import { stat } from 'node:fs/promises';
import { setImageUseListener, type ImageUseListener } from '../http/files.ts';
import { hashFile, preparePartial, publishPartial, removeFile, removePartial, scanLocal, unmark, writeMarker, pruneEmptyDirs } from './disk.ts';
import { downloadInto, DownloadError } from './download.ts';
import { selectForBudget } from './policy.ts';
import { CacheState } from './state.ts';
import type { ImageManifest, ImageProgress, ManifestEntry, RootIdentity } from './protocol.ts';

export interface ImageCacheOptions {
  root: string;
  /** LRU times and partial checksums (default `<root's parent>/image-cache.json`). */
  stateFile?: string;
  /** Size budget in bytes (default unlimited). */
  maxBytes?: number;
  /**
   * The directory is the cache's to fill and prune (default true: the rack's own `<data-dir>/images`).
   * false for a directory given explicitly: unless it is the region's own directory, it is left alone.
   */
  owned?: boolean;
  /** A download with no data for this long is aborted and retried (default 60 s). */
  stallMs?: number;
  /** Attempts per file (default 4), the first retry after `retryDelayMs` (default 1 s), doubling to 30 s. */
  attempts?: number;
  retryDelayMs?: number;
  maxBytesPerSecond?: number;
  /** Progress events while bytes flow, at most this often (default 1 s). */
  progressIntervalMs?: number;
  log?: { info(o: object, m?: string): void; warn(o: object, m?: string): void };
  now?: () => number;
}

export interface ImageSource {
  url(path: string): string;
  headers(): Promise<Record<string, string>>;
}

export interface SyncResult {
  /** Undefined when the directory is not the cache's to manage (nothing was done). */
  progress?: ImageProgress;
  /** The region's files differ from the manifest used (a new sync will see the new one). */
  changedUpstream: boolean;
}

export interface CacheStats { received: number; verified: number; mismatches: number; evicted: number; removed: number; resumed: number }

type FileOutcome = { ok: true } | { ok: false; reason: string; changed?: boolean; aborted?: boolean };

const sleep = (ms: number, signal: AbortSignal) => new Promise<void>((resolve) => {
  const t = setTimeout(done, ms);
  function done() { clearTimeout(t); signal.removeEventListener('abort', done); resolve(); }
  signal.addEventListener('abort', done, { once: true });
});

/** Boot images named by the layout `<os>/<arch>/<series>/<file>` among these paths. */
export function imagesOf(paths: Iterable<string>): Array<{ name: string; architecture: string; subarches: string[] }> {
  const seen = new Map<string, { name: string; architecture: string; subarches: string[] }>();
  for (const p of paths) {
    const s = p.split('/');
    if (s.length < 4) continue;
    const key = `${s[0]}/${s[1]}/${s[2]}`;
    if (!seen.has(key)) seen.set(key, { name: `${s[0]}/${s[2]}`, architecture: s[1], subarches: ['generic'] });
  }
  return [...seen.values()].slice(0, 1024);
}

export class ImageCache extends EventEmitter implements ImageUseListener {
  readonly stats: CacheStats = { received: 0, verified: 0, mismatches: 0, evicted: 0, removed: 0, resumed: 0 };
  readonly root: string;
  readonly maxBytes: number;
  private readonly state: CacheState;
  private readonly inUse = new Map<string, number>();
  private readonly deferred = new Set<string>();
  private manifestPaths = new Set<string>();
  private ctl: AbortController | undefined;
  private running: Promise<SyncResult> | undefined;
  private lastEmit = 0;
  private saveTimer: NodeJS.Timeout | undefined;
  last: ImageProgress | undefined;

  constructor(private readonly o: ImageCacheOptions) {
    super();
    this.root = o.root;
    this.maxBytes = o.maxBytes ?? Infinity;
    this.state = new CacheState(o.stateFile ?? join(dirname(o.root), 'image-cache.json'));
  }

  private now(): number { return (this.o.now ?? Date.now)(); }

  start(): this {
    setImageUseListener(this.root, this);
    this.saveTimer = setInterval(() => this.state.save(), 30_000);
    this.saveTimer.unref();
    return this;
  }

  /** Stops a sync in progress (its partial stays for the next one) and forgets the HTTP hook. */
  async stop(): Promise<void> {
    this.ctl?.abort();
    await this.running?.catch(() => undefined);
    setImageUseListener(this.root, undefined);
    clearInterval(this.saveTimer);
    this.state.save();
  }

  get syncing(): boolean { return !!this.running; }

  /** Records that `path` was served now (LRU). */
  touch(path: string): void { this.state.served(path, this.now()); }

  opened(path: string): void {
    this.inUse.set(path, (this.inUse.get(path) ?? 0) + 1);
    this.touch(path);
  }

  closed(path: string): void {
    const n = (this.inUse.get(path) ?? 1) - 1;
    if (n > 0) { this.inUse.set(path, n); return; }
    this.inUse.delete(path);
    this.touch(path);
    if (this.deferred.delete(path) && !this.manifestPaths.has(path)) {
      void removeFile(this.root, path).then(() => { this.stats.removed++; }, () => undefined);
    }
  }

  /** A requested image the rack does not hold: if the region has it, it is wanted (event 'missed'). */
  missed(path: string): void {
    if (!this.manifestPaths.has(path)) return;
    this.touch(path);
    this.emit('missed', path);
  }

  sync(manifest: ImageManifest, source: ImageSource): Promise<SyncResult> {
    if (this.running) return Promise.reject(new Error('an image sync is already running'));
    this.ctl = new AbortController();
    const run = this.run(manifest, source, this.ctl.signal);
    this.running = run;
    return run.finally(() => { this.running = undefined; this.state.save(); });
  }

  private async sharesRoot(id: RootIdentity): Promise<boolean> {
    const st = await stat(this.root).catch(() => null);
    return !!st && id.host === hostname() && id.dev === String(st.dev) && id.ino === String(st.ino);
  }

  private emitProgress(p: ImageProgress, force: boolean): void {
    const now = Date.now();
    if (!force && now - this.lastEmit < (this.o.progressIntervalMs ?? 1000)) return;
    this.lastEmit = now;
    this.last = { ...p };
    this.emit('progress', this.last);
  }

  private async run(manifest: ImageManifest, source: ImageSource, signal: AbortSignal): Promise<SyncResult> {
    const want = new Map<string, ManifestEntry>();
    for (const f of manifest.files) want.set(f.path, f);
    this.manifestPaths = new Set(want.keys());
    const allBytes = [...want.values()].reduce((n, f) => n + f.size, 0);
    if (manifest.root && await this.sharesRoot(manifest.root)) {
      const p: ImageProgress = { state: 'synced', digest: manifest.digest, files_done: want.size, files_total: want.size, bytes_done: allBytes, bytes_total: allBytes, held_back: 0, shared: true, images: imagesOf(want.keys()) };
      this.emitProgress(p, true);
      return { progress: p, changedUpstream: false };
    }
    if (this.o.owned === false) return { changedUpstream: false };
    const local = await scanLocal(this.root);
    // Files the region no longer has (a file being served goes when its download ends).
    for (const [path, l] of local) {
      if (want.has(path)) continue;
      if (this.inUse.has(path)) { this.deferred.add(path); continue; }
      await removeFile(this.root, path);
      if (l.size !== undefined) this.stats.removed++;
    }
    this.state.retain(this.manifestPaths);
    const held = new Set<string>();
    for (const f of want.values()) {
      const l = local.get(f.path);
      if (l?.partial !== undefined && this.state.partials.get(f.path) !== f.sha256) { await removePartial(this.root, f.path); l.partial = undefined; }
      if (l?.size !== f.size || l.partial !== undefined) continue;
      if (l.marker === f.sha256) { held.add(f.path); continue; }
      // Complete data without its marker (a crash between rename and marker): check it rather than fetch it again.
      if (!l.hasMarker && await hashFile(join(this.root, ...f.path.split('/')), signal).catch(() => '') === f.sha256) {
        await writeMarker(this.root, f.path, f.sha256);
        held.add(f.path);
      }
    }
    const sel = selectForBudget([...want.values()].map((f) => ({
      path: f.path, size: f.size, held: held.has(f.path), inUse: this.inUse.has(f.path), lastServed: this.state.lastServed.get(f.path),
    })), this.maxBytes);
    for (const path of held) {
      if (sel.keep.has(path)) continue;
      await removeFile(this.root, path);
      held.delete(path);
      this.stats.evicted++;
      this.o.log?.info({ path }, 'image evicted from the cache (budget)');
    }
    await pruneEmptyDirs(this.root);
    const kept = [...want.values()].filter((f) => sel.keep.has(f.path));
    const p: ImageProgress = {
      state: 'syncing', digest: manifest.digest, files_done: held.size, files_total: kept.length,
      bytes_done: kept.filter((f) => held.has(f.path)).reduce((n, f) => n + f.size, 0), bytes_total: kept.reduce((n, f) => n + f.size, 0),
      held_back: sel.heldBack.length, images: imagesOf(held),
    };
    const todo = kept.filter((f) => !held.has(f.path));
    // Stale copies stop being served before any new file is published: an old initrd is never
    // served next to a new kernel.
    for (const f of todo) await unmark(this.root, f.path);
    if (todo.length) this.emitProgress(p, true);
    const failures: string[] = [];
    let changedUpstream = false;
    for (const f of todo) {
      if (signal.aborted) break;
      const base = p.bytes_done;
      const out = await this.fetchOne(f, source, signal, (bytes) => { p.bytes_done = base + bytes; this.emitProgress(p, false); });
      p.bytes_done = base;
      if (out.ok) {
        held.add(f.path);
        p.files_done++;
        p.bytes_done += f.size;
        p.images = imagesOf(held);
        this.emitProgress(p, true);
      } else if (!out.aborted) {
        failures.push(`${f.path}: ${out.reason}`);
        changedUpstream ||= !!out.changed;
        this.o.log?.warn({ path: f.path, reason: out.reason }, 'image download failed');
      }
    }
    if (signal.aborted) Object.assign(p, { state: 'failed', reason: 'the sync was stopped' });
    else if (failures.length) Object.assign(p, { state: 'failed', reason: `${failures.length} file(s) failed: ${failures.join('; ')}`.slice(0, 1024) });
    else Object.assign(p, { state: 'synced', reason: undefined });
    if (p.reason === undefined) delete p.reason;
    this.emitProgress(p, true);
    return { progress: { ...p }, changedUpstream };
  }

  /** One file: attempts with backoff; the partial is kept across attempts unless its content is wrong. */
  private async fetchOne(f: ManifestEntry, source: ImageSource, signal: AbortSignal, onFileBytes: (n: number) => void): Promise<FileOutcome> {
    const attempts = Math.max(1, this.o.attempts ?? 4);
    let reason = 'not attempted';
    for (let attempt = 1; attempt <= attempts; attempt++) {
      if (attempt > 1) await sleep(Math.min(30_000, (this.o.retryDelayMs ?? 1000) * 2 ** (attempt - 2)), signal);
      if (signal.aborted) return { ok: false, reason: 'stopped', aborted: true };
      await unmark(this.root, f.path);
      const partial = await preparePartial(this.root, f.path);
      if (this.state.partials.get(f.path) !== f.sha256) { await removePartial(this.root, f.path); this.state.setPartial(f.path, f.sha256); }
      let fileBytes = 0;
      try {
        await downloadInto({
          url: source.url(f.path), headers: await source.headers(), partial, size: f.size,
          stallMs: this.o.stallMs ?? 60_000, maxBytesPerSecond: this.o.maxBytesPerSecond, signal,
          onStart: (from) => { fileBytes = from; if (from) this.stats.resumed++; onFileBytes(fileBytes); },
          onBytes: (n) => { this.stats.received += n; fileBytes += n; onFileBytes(fileBytes); },
        });
        const sha = await hashFile(partial, signal);
        if (sha !== f.sha256) {
          this.stats.mismatches++;
          await removePartial(this.root, f.path);
          reason = `checksum mismatch (the region's file does not match its marker: got ${sha.slice(0, 12)}…, expected ${f.sha256.slice(0, 12)}…)`;
          this.o.log?.warn({ path: f.path, attempt }, 'downloaded image failed its checksum; partial deleted');
          continue;
        }
        await publishPartial(this.root, f.path, f.sha256);
        this.state.setPartial(f.path, undefined);
        this.stats.verified++;
        return { ok: true };
      } catch (err) {
        if (signal.aborted) return { ok: false, reason: 'stopped', aborted: true };
        if (!(err instanceof DownloadError)) { reason = (err as Error).message; continue; }
        reason = err.message;
        if (err.kind === 'changed' || err.kind === 'gone') {
          await removePartial(this.root, f.path);
          return { ok: false, reason, changed: true };
        }
        if (!err.retryable) return { ok: false, reason };
      }
    }
    return { ok: false, reason: `${reason} (after ${attempts} attempts)` };
  }
}
