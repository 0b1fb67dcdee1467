/**
 * Sorted, inclusive integer intervals ("spans") over address values, and the few set operations
 * IPAM needs. Everything is sort + sweep: O(n log n) in the number of spans, never a loop over
 * every address of a subnet. Why a span is in use is a bit mask of purposes (see usage.ts).
 */

export interface Span {
  first: bigint;
  last: bigint;
}

/** A span labelled with why it is in use: a bit mask of purposes. */
export interface TaggedSpan extends Span {
  mask: number;
}

export const byStart = (a: Span, b: Span) => (a.first < b.first ? -1 : a.first > b.first ? 1 : a.last < b.last ? -1 : a.last > b.last ? 1 : 0);

/** Union of spans: overlapping and adjacent spans are joined; the result is sorted and disjoint. */
export function unionSpans(spans: readonly Span[], presorted = false): Span[] {
  const sorted = presorted ? spans : [...spans].sort(byStart);
  const out: Span[] = [];
  for (const s of sorted) {
    const prev = out[out.length - 1];
    if (prev && s.first <= prev.last + 1n) {
      if (s.last > prev.last) prev.last = s.last;
    } else {
      out.push({ first: s.first, last: s.last });
    }
  }
  return out;
}

/** Merges two lists each sorted by start into one sorted list (linear). */
export function mergeSorted<T extends Span>(a: readonly T[], b: readonly T[]): T[] {
  const out: T[] = new Array<T>(a.length + b.length);
  let i = 0;
  let j = 0;
  let k = 0;
  while (i < a.length && j < b.length) out[k++] = byStart(a[i], b[j]) <= 0 ? a[i++] : b[j++];
  while (i < a.length) out[k++] = a[i++];
  while (j < b.length) out[k++] = b[j++];
  return out;
}

/**
 * MAAS's condensing of labelled spans: spans that overlap are merged into one carrying the union
 * of their purposes; then neighbouring spans (touching, not overlapping) with identical purposes
 * are joined. Touching spans with different purposes stay apart.
 */
export function condense(spans: readonly TaggedSpan[], presorted = false): TaggedSpan[] {
  const sorted = presorted ? spans : [...spans].sort(byStart);
  // Input spans are never modified: a span is copied the first time it grows (most never do).
  const merged: TaggedSpan[] = [];
  let owned = false;
  for (const s of sorted) {
    const prev = merged[merged.length - 1];
    if (prev !== undefined && s.first <= prev.last) {
      if (s.last <= prev.last && (prev.mask | s.mask) === prev.mask) continue;
      const target = owned ? prev : (merged[merged.length - 1] = { first: prev.first, last: prev.last, mask: prev.mask });
      owned = true;
      if (s.last > target.last) target.last = s.last;
      target.mask |= s.mask;
    } else {
      merged.push(s);
      owned = false;
    }
  }
  const out: TaggedSpan[] = [];
  owned = false;
  for (const s of merged) {
    const prev = out[out.length - 1];
    if (prev !== undefined && prev.last + 1n === s.first && prev.mask === s.mask) {
      const target = owned ? prev : (out[out.length - 1] = { first: prev.first, last: prev.last, mask: prev.mask });
      owned = true;
      target.last = s.last;
    } else {
      out.push(s);
      owned = false;
    }
  }
  return out;
}

/**
 * `from` minus `remove`; the result is sorted and maximal. Both may overlap; `remove` must be
 * sorted by start when `removePresorted` is set (it is then swept as is, without copying).
 */
export function subtractSpans(from: readonly Span[], remove: readonly Span[], removePresorted = false): Span[] {
  const a = unionSpans(from);
  const b = removePresorted ? remove : [...remove].sort(byStart);
  const out: Span[] = [];
  let j = 0;
  for (const span of a) {
    let cursor = span.first;
    while (j < b.length && b[j].last < cursor) j++;
    for (let k = j; k < b.length && b[k].first <= span.last; k++) {
      if (b[k].first > cursor) out.push({ first: cursor, last: b[k].first - 1n });
      if (b[k].last + 1n > cursor) cursor = b[k].last + 1n;
      if (b[k].last > span.last) break;
    }
    if (cursor <= span.last) out.push({ first: cursor, last: span.last });
  }
  return out;
}

/** The span containing `value`, by binary search over sorted disjoint spans. */
export function findSpan<T extends Span>(spans: readonly T[], value: bigint): T | undefined {
  let lo = 0;
  let hi = spans.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const s = spans[mid];
    if (value < s.first) hi = mid - 1;
    else if (value > s.last) lo = mid + 1;
    else return s;
  }
  return undefined;
}
