/**
 * What a rack keeps from its region so it can go on serving while the region is unreachable (and
 * after a rack restart during an outage): the last DHCP configuration pushed to it and recent boot
 * decisions. Stored as one JSON file (mode 0600) in the rack's data directory, written atomically.
 */
import { chmodSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

interface Entry { at: number; answer: unknown }
interface CacheFile { dhcp?: unknown; boot?: Record<string, Entry> }

export const CACHE_FILE = 'link-cache.json';
const MAX_BOOT_ENTRIES = 4096;

export class LinkCache {
  private data: CacheFile = {};
  private readonly file: string | undefined;

  /** Without a directory the cache lives in memory only. */
  constructor(dir: string | undefined, private readonly bootTtlMs: number, private readonly now: () => number = Date.now) {
    this.file = dir ? join(dir, CACHE_FILE) : undefined;
    if (!this.file) return;
    try {
      const parsed = JSON.parse(readFileSync(this.file, 'utf8')) as CacheFile;
      if (parsed && typeof parsed === 'object') this.data = parsed;
    } catch { /* no cache yet, or unreadable: start empty */ }
  }

  get dhcp(): unknown { return this.data.dhcp; }

  setDhcp(config: unknown): void {
    this.data.dhcp = config;
    this.save();
  }

  /** A boot decision remembered for this request, while younger than the TTL. */
  boot(key: string): unknown {
    const e = this.data.boot?.[key];
    return e && this.now() - e.at < this.bootTtlMs ? e.answer : undefined;
  }

  setBoot(key: string, answer: unknown): void {
    const boot = (this.data.boot ??= {});
    boot[key] = { at: this.now(), answer };
    const keys = Object.keys(boot);
    if (keys.length > MAX_BOOT_ENTRIES) {
      const cutoff = this.now() - this.bootTtlMs;
      for (const k of keys) if (boot[k].at < cutoff) delete boot[k];
      for (const k of Object.keys(boot).slice(0, Math.max(0, Object.keys(boot).length - MAX_BOOT_ENTRIES))) delete boot[k];
    }
    this.save();
  }

  private save(): void {
    if (!this.file) return;
    try {
      mkdirSync(dirname(this.file), { recursive: true, mode: 0o700 });
      const tmp = `${this.file}.tmp`;
      writeFileSync(tmp, JSON.stringify(this.data), { mode: 0o600 });
      chmodSync(tmp, 0o600);
      renameSync(tmp, this.file);
    } catch { /* a read-only data directory costs the cache, not the service */ }
  }
}
