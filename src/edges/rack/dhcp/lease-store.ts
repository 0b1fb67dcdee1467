/**
 * Lease records and the LeaseStore interface, with the in-memory implementation.
 *
 * A store holds at most one record per address. Records are immutable values: a change is a `put`
 * of a new record. The contract that keeps allocation race-free, even with two servers (primary
 * and secondary) sharing one store:
 *
 * - reads (`get`, `byClient`, `list`) are synchronous and see every `put`/`remove` already called;
 * - `put`/`remove` change that view synchronously, before returning their promise, so a
 *   check-then-put with no `await` in between is atomic;
 * - the promise resolves once the change is durable (the server awaits it before sending an ACK).
 *   Records in state `offered` are short-lived holds and are never made durable.
 */

export type LeaseState = 'offered' | 'bound' | 'declined' | 'free';

export interface Lease {
  ip: string;
  /** Key (CIDR) of the subnet the address belongs to. */
  subnet: string;
  /** Who holds or last held the address (see DhcpRequest.clientKey). */
  clientKey: string;
  mac: string;
  /**
   * offered: held for an OFFER until expiresAt. bound: leased until expiresAt. declined: unusable
   * until expiresAt. free: released or expired; remembered so the client can get it back.
   */
  state: LeaseState;
  /** Milliseconds since the epoch (for `free`: when it became free). */
  expiresAt: number;
  hostname?: string;
  updatedAt: number;
  /** Known from the failover peer (through the region), not granted by this server. */
  learned?: boolean;
}

export interface LeaseStore {
  get(ip: string): Lease | undefined;
  /** Every record whose clientKey is this one (any state, any subnet). */
  byClient(clientKey: string): Lease[];
  list(): Lease[];
  /**
   * Changes whenever an address may have become free (a removal or a `free` record). Allocators
   * use it to know when a remembered scan position is stale.
   */
  readonly generation: number;
  put(lease: Lease): Promise<void>;
  remove(ip: string): Promise<void>;
  /** Flushes and releases resources; the store must not be used afterwards. */
  close(): Promise<void>;
}

/** The synchronous view both implementations share. */
export class LeaseIndex {
  protected readonly byIp = new Map<string, Lease>();
  private readonly clients = new Map<string, Set<string>>();
  private gen = 0;

  get generation(): number {
    return this.gen;
  }

  get(ip: string): Lease | undefined {
    return this.byIp.get(ip);
  }

  byClient(clientKey: string): Lease[] {
    const ips = this.clients.get(clientKey);
    if (!ips) return [];
    const out: Lease[] = [];
    for (const ip of ips) {
      const lease = this.byIp.get(ip);
      if (lease) out.push(lease);
    }
    return out;
  }

  list(): Lease[] {
    return [...this.byIp.values()];
  }

  /** Applies a put to the view. */
  protected apply(lease: Lease): void {
    const old = this.byIp.get(lease.ip);
    if (old && old.clientKey !== lease.clientKey) this.unindex(old);
    this.byIp.set(lease.ip, lease);
    let set = this.clients.get(lease.clientKey);
    if (!set) this.clients.set(lease.clientKey, (set = new Set()));
    set.add(lease.ip);
    if (lease.state === 'free') this.gen += 1;
  }

  /** Applies a removal to the view. */
  protected applyRemove(ip: string): void {
    const old = this.byIp.get(ip);
    if (!old) return;
    this.byIp.delete(ip);
    this.unindex(old);
    this.gen += 1;
  }

  private unindex(lease: Lease): void {
    const set = this.clients.get(lease.clientKey);
    if (!set) return;
    set.delete(lease.ip);
    if (set.size === 0) this.clients.delete(lease.clientKey);
  }
}

/** Leases in memory only: lost on restart. Suits tests, benchmarks and a rack that can re-learn. */
export class MemoryLeaseStore extends LeaseIndex implements LeaseStore {
  put(lease: Lease): Promise<void> {
    this.apply(lease);
    return Promise.resolve();
  }

  remove(ip: string): Promise<void> {
    this.applyRemove(ip);
    return Promise.resolve();
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
