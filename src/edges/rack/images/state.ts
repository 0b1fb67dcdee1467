/**
 * What the image cache remembers across restarts, in one JSON file outside the images directory
 * (written atomically): when each file was last served (for LRU eviction) and which checksum each
 * `.partial` is a download of (a partial is resumed only towards the same checksum).
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

interface StateFile { lastServed: Record<string, number>; partials: Record<string, string> }

const MAX_ENTRIES = 100_000;

export class CacheState {
  lastServed = new Map<string, number>();
  partials = new Map<string, string>();
  private dirty = false;

  constructor(private readonly file: string | undefined) {
    if (!file) return;
    try {
      const s = JSON.parse(readFileSync(file, 'utf8')) as Partial<StateFile>;
      for (const [k, v] of Object.entries(s.lastServed ?? {})) if (typeof v === 'number') this.lastServed.set(k, v);
      for (const [k, v] of Object.entries(s.partials ?? {})) if (typeof v === 'string') this.partials.set(k, v);
    } catch { /* none yet, or unreadable: start empty */ }
  }

  served(path: string, at: number): void {
    this.lastServed.delete(path);
    this.lastServed.set(path, at);
    if (this.lastServed.size > MAX_ENTRIES) this.lastServed.delete(this.lastServed.keys().next().value!);
    this.dirty = true;
  }

  setPartial(path: string, sha256: string | undefined): void {
    if (sha256 === undefined) this.partials.delete(path);
    else this.partials.set(path, sha256);
    this.dirty = true;
    this.save();
  }

  /** Keeps only entries for these paths. */
  retain(paths: ReadonlySet<string>): void {
    for (const k of [...this.lastServed.keys()]) if (!paths.has(k)) { this.lastServed.delete(k); this.dirty = true; }
    for (const k of [...this.partials.keys()]) if (!paths.has(k)) { this.partials.delete(k); this.dirty = true; }
  }

  save(): void {
    if (!this.file || !this.dirty) return;
    try {
      mkdirSync(dirname(this.file), { recursive: true, mode: 0o700 });
      const tmp = `${this.file}.tmp`;
      writeFileSync(tmp, JSON.stringify({ lastServed: Object.fromEntries(this.lastServed), partials: Object.fromEntries(this.partials) }));
      renameSync(tmp, this.file);
      this.dirty = false;
    } catch { /* a read-only data directory costs the LRU history, not the service */ }
  }
}
