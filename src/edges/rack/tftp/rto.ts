/**
 * Retransmission timeout of one transfer.
 *
 * RFC 1123 §4.2.3.2 requires TFTP to use an adaptive timeout. Without a client `timeout` option the
 * estimator follows RFC 6298 §2: SRTT/RTTVAR from round-trip samples, RTO = SRTT + max(G, 4·RTTVAR),
 * clamped to [min, max], doubled on every expiry (§5.5) and sampled only from rounds that were not
 * retransmitted (Karn's algorithm, §3). When the client fixes the timeout (RFC 2349) the RTO is that
 * value, constant.
 */

export interface RtoConfig {
  /** RTO before the first sample, ms. */
  initialMs: number;
  minMs: number;
  maxMs: number;
}

/** Clock granularity G of RFC 6298, ms. */
const GRANULARITY_MS = 1;

export class Rto {
  private srtt: number | null = null;
  private rttvar = 0;
  private value: number;
  private readonly fixed: boolean;

  constructor(private readonly config: RtoConfig, fixedMs: number | null = null) {
    this.fixed = fixedMs !== null;
    this.value = fixedMs ?? config.initialMs;
  }

  /** The current timeout, ms. */
  get ms(): number {
    return this.value;
  }

  /** A round-trip sample (ms) from a round that was sent once. */
  sample(rttMs: number): void {
    if (this.fixed) return;
    if (this.srtt === null) {
      this.srtt = rttMs;
      this.rttvar = rttMs / 2;
    } else {
      this.rttvar = 0.75 * this.rttvar + 0.25 * Math.abs(this.srtt - rttMs);
      this.srtt = 0.875 * this.srtt + 0.125 * rttMs;
    }
    this.value = this.clamp(this.srtt + Math.max(GRANULARITY_MS, 4 * this.rttvar));
  }

  /** The timer expired: back off. */
  backoff(): void {
    if (this.fixed) return;
    this.value = this.clamp(this.value * 2);
  }

  private clamp(ms: number): number {
    return Math.min(this.config.maxMs, Math.max(this.config.minMs, ms));
  }
}
