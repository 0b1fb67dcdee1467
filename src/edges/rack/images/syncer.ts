/**
 * Runs the image cache's syncs for a rack's link to its region: when the link comes up and when the
 * region pushes `images.sync`; one sync at a time (a request during a sync queues exactly one more),
 * and another right after one that found the region's files changed under it. Progress goes to the
 * region as `images.progress` (the last report is sent again after a reconnect). Downloads go over
 * HTTP to the region's URL and carry on when the link drops; while the region is down the rack
 * serves what it holds. A region that does not know `images.manifest` (older) is left alone.
 */
import { EventEmitter } from 'node:events';
import type { ImageCache, SyncResult } from './cache.ts';
import { IMAGE_AUTH_SCHEME, IMAGE_DOWNLOAD_PREFIX, IMAGES_MANIFEST, IMAGES_PROGRESS, IMAGES_SYNC, imageManifest, type ImageManifest, type ImageProgress } from './protocol.ts';

/** What the syncer needs of the link (RegionLink provides it). */
export interface ImageLink extends EventEmitter {
  readonly connected: boolean;
  call(method: string, params: unknown, timeoutMs?: number): Promise<unknown>;
  onPush(method: string, fn: (params: unknown) => void): unknown;
}

export interface ImageSyncerOptions {
  link: ImageLink;
  cache: ImageCache;
  /** The region's URL (http(s)://host:port[/MAAS/]); files come from `/MAAS/rpc/images/` there. */
  regionUrl: string;
  /** Fetch a missed file on demand (only matters with a budget), at most this often (default 10 s). */
  missRetryMs?: number;
  log?: { info(o: object, m?: string): void; warn(o: object, m?: string): void };
}

/** The download URL of one file. */
export function imageUrl(regionUrl: string, path: string): string {
  const u = new URL(regionUrl);
  u.pathname = IMAGE_DOWNLOAD_PREFIX + path.split('/').map(encodeURIComponent).join('/');
  u.search = '';
  u.hash = '';
  return u.toString();
}

/** Events: 'done' (SyncResult) after each sync, 'error' is never emitted (failures are logged and reported). */
export class ImageSyncer extends EventEmitter {
  private queued = false;
  private loop: Promise<void> | undefined;
  private stopped = false;
  private token: { value: string; until: number } | undefined;
  private lastReport: ImageProgress | undefined;
  private lastMissSync = 0;
  private unsent: ImageProgress | undefined;
  private sending = false;
  private readonly onProgress = (p: ImageProgress) => this.report(p);
  private readonly onConnected = () => {
    if (this.lastReport) this.send(this.lastReport);
    this.request();
  };
  private readonly onMissed = () => {
    if (this.o.cache.maxBytes === Infinity || Date.now() - this.lastMissSync < (this.o.missRetryMs ?? 10_000)) return;
    this.lastMissSync = Date.now();
    this.request();
  };

  constructor(private readonly o: ImageSyncerOptions) { super(); }

  start(): this {
    this.stopped = false;
    this.o.link.onPush(IMAGES_SYNC, () => this.request());
    this.o.link.on('connected', this.onConnected);
    this.o.cache.on('progress', this.onProgress);
    this.o.cache.on('missed', this.onMissed);
    if (this.o.link.connected) this.request();
    return this;
  }

  /** Stops taking requests; resolves when the sync running ends (stop the cache to cut it short). */
  async stop(): Promise<void> {
    this.stopped = true;
    this.o.link.off('connected', this.onConnected);
    this.o.cache.off('progress', this.onProgress);
    this.o.cache.off('missed', this.onMissed);
    await this.loop;
  }

  /** Asks for a sync (now, or right after the one running). Resolves when the syncs asked for so far are done. */
  request(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    this.queued = true;
    this.loop ??= this.drain();
    return this.loop;
  }

  private async drain(): Promise<void> {
    try {
      while (this.queued && !this.stopped) {
        this.queued = false;
        const r = await this.syncOnce();
        if (r?.changedUpstream) this.queued = true;
      }
    } finally {
      this.loop = undefined; // in the same turn as the last check: a request after it starts a new loop
    }
  }

  private async manifest(): Promise<ImageManifest> {
    const m = imageManifest.parse(await this.o.link.call(IMAGES_MANIFEST, {}, 30_000));
    this.token = { value: m.token, until: Date.now() + m.expires_in * 1000 };
    return m;
  }

  private async syncOnce(): Promise<SyncResult | undefined> {
    if (!this.o.link.connected) return undefined; // runs again when the link is back
    let manifest: ImageManifest;
    try {
      manifest = await this.manifest();
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (code === 'unknown_method') this.o.log?.info({}, 'the region does not offer image sync; serving the images directory as it is');
      else this.o.log?.warn({ err: (err as Error).message }, 'could not get the image manifest from the region');
      return undefined;
    }
    const source = {
      url: (path: string) => imageUrl(this.o.regionUrl, path),
      headers: async () => {
        // A long sync outlives a token: fetch a fresh one (with the manifest) well before it expires.
        if (this.token && this.token.until - Date.now() < 10 * 60_000 && this.o.link.connected) await this.manifest().catch(() => undefined);
        return { authorization: `${IMAGE_AUTH_SCHEME} ${this.token?.value ?? ''}` };
      },
    };
    try {
      const r = await this.o.cache.sync(manifest, source);
      const p = r.progress;
      if (!p) this.o.log?.info({ root: this.o.cache.root }, 'the images directory was given explicitly and is not the region\'s: not synced');
      else this.o.log?.[p.state === 'synced' ? 'info' : 'warn']({ state: p.state, files: p.files_done, total: p.files_total, held_back: p.held_back, reason: p.reason }, 'image sync finished');
      this.emit('done', r);
      return r;
    } catch (err) {
      this.o.log?.warn({ err: (err as Error).message }, 'image sync failed');
      this.report({ state: 'failed', reason: (err as Error).message.slice(0, 1024), files_done: 0, files_total: manifest.files.length, bytes_done: 0, bytes_total: 0, held_back: 0 });
      return undefined;
    }
  }

  private report(p: ImageProgress): void {
    this.lastReport = p;
    this.send(p);
  }

  /** One report in flight at a time, the latest waiting (so the region records them in order). */
  private send(p: ImageProgress): void {
    this.unsent = p;
    if (!this.sending) void this.flush();
  }

  private async flush(): Promise<void> {
    this.sending = true;
    try {
      while (this.unsent && this.o.link.connected) {
        const p = this.unsent;
        this.unsent = undefined;
        await this.o.link.call(IMAGES_PROGRESS, p).catch(() => undefined);
      }
    } finally {
      this.sending = false;
    }
  }
}
