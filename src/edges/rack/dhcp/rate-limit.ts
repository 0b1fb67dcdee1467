/**
 * Per-client token buckets, so one flooding client (or a storm of forged MACs) cannot starve the
 * others. The table is bounded: when it is full, the least recently refilled buckets are evicted
 * first (a Map iterates in insertion order and a bucket is re-inserted on every use), so memory
 * stays flat under floods of random hardware addresses.
 */

interface Bucket { tokens: number; at: number }

export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    private burst: number,
    private perSecond: number,
    private readonly maxClients = 20_000,
  ) {}

  configure(burst: number, perSecond: number): void {
    this.burst = burst;
    this.perSecond = perSecond;
  }

  /** Takes one token for `key`; false when the client is over its rate. */
  take(key: string, now: number): boolean {
    const bucket = this.buckets.get(key);
    let tokens = this.burst;
    if (bucket) {
      tokens = Math.min(this.burst, bucket.tokens + ((now - bucket.at) / 1000) * this.perSecond);
      this.buckets.delete(key);
    } else if (this.buckets.size >= this.maxClients) {
      const oldest = this.buckets.keys().next();
      if (!oldest.done) this.buckets.delete(oldest.value);
    }
    const allowed = tokens >= 1;
    this.buckets.set(key, { tokens: allowed ? tokens - 1 : tokens, at: now });
    return allowed;
  }

  get size(): number {
    return this.buckets.size;
  }
}
