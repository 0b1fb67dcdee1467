/**
 * Token bucket for ERROR replies to datagrams that are not part of any transfer (garbage, packets to
 * unknown transfer IDs). Such replies go to an unverified source address, so without a limit a
 * spoofed flood would turn the server into a reflector; answers to well-formed requests (file not
 * found, access violation) are not limited.
 */
export class TokenBucket {
  private tokens: number;
  private refilledAt: number;

  /** `perSecond` tokens per second, at most `perSecond` banked (Infinity: unlimited, 0: never). */
  constructor(private readonly perSecond: number, private readonly now: () => number = Date.now) {
    if (!(perSecond >= 0)) throw new RangeError(`rate must be >= 0, got ${perSecond}`);
    this.tokens = perSecond;
    this.refilledAt = now();
  }

  /** Takes one token; false when the bucket is empty. */
  take(): boolean {
    if (this.perSecond === Infinity) return true;
    const now = this.now();
    this.tokens = Math.min(this.perSecond, this.tokens + ((now - this.refilledAt) * this.perSecond) / 1000);
    this.refilledAt = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}
