/**
 * Which of the manifest's files the rack keeps when its cache has a size budget (`--image-cache-max`).
 *
 * Policy:
 * 1. Without a budget, or when the whole manifest fits, every file is kept.
 * 2. Otherwise the files are ranked and admitted in rank order while they fit (a file that does not
 *    fit is skipped; smaller ones after it may still be admitted):
 *    - files being served right now come first and are always admitted, even past the budget —
 *      a download in progress is never cut short by eviction;
 *    - then by last-served time, most recent first (a request for a file the rack does not hold
 *      counts as serving it at that moment, so a missed file is fetched on the next sync);
 *    - then, among files never served, those already held (no churn), then manifest order.
 * 3. Held files that are not admitted are evicted before anything is downloaded, so the cache
 *    never grows past the budget to make room.
 * Files not in the manifest at all are removed regardless of the budget (once no longer served).
 */

export interface Candidate {
  path: string;
  size: number;
  /** The rack holds a complete, current copy. */
  held: boolean;
  /** Being served right now. */
  inUse: boolean;
  /** Last time it was served or asked for (ms), if ever. */
  lastServed?: number;
}

export interface Selection {
  keep: Set<string>;
  /** Files left out because the budget is too small (manifest order). */
  heldBack: string[];
}

export function selectForBudget(files: readonly Candidate[], budget: number): Selection {
  const total = files.reduce((n, f) => n + f.size, 0);
  if (!(budget < total)) return { keep: new Set(files.map((f) => f.path)), heldBack: [] };
  const order = new Map(files.map((f, i) => [f.path, i]));
  const ranked = [...files].sort((a, b) =>
    Number(b.inUse) - Number(a.inUse)
    || (b.lastServed ?? -1) - (a.lastServed ?? -1)
    || Number(b.held) - Number(a.held)
    || order.get(a.path)! - order.get(b.path)!);
  const keep = new Set<string>();
  let used = 0;
  for (const f of ranked) {
    if (f.inUse || used + f.size <= budget) {
      keep.add(f.path);
      used += f.size;
    }
  }
  return { keep, heldBack: files.filter((f) => !keep.has(f.path)).map((f) => f.path) };
}

/** Parses a size such as `500M`, `20G`, `1.5T` or a plain number of bytes; units are powers of 1024. */
export function parseSize(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(i?b)?\s*$/i.exec(text);
  if (!m) throw new Error(`not a size: ${text} (use e.g. 500M, 20G or bytes)`);
  const unit = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 }[m[2].toLowerCase() as '' | 'k' | 'm' | 'g' | 't'];
  const n = Math.floor(Number(m[1]) * unit);
  if (!Number.isSafeInteger(n) || n <= 0) throw new Error(`not a usable size: ${text}`);
  return n;
}
