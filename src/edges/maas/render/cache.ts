/**
 * Rendered machine JSON, cached per region under the machine's (version, epoch) from the store
 * (migration 002): any change to the machine or its parts bumps its version; any change to a shared
 * object embedded in it (zone, pool, domain, tag, VLAN, fabric) bumps the epoch. Bounded, LRU.
 *
 * Entries are the UTF-8 bytes, not strings: a hit is written to the socket as is (a string would be
 * flattened and encoded again on every request: ~14 KB of garbage per single-machine GET), and tens
 * of MB of JSON stay off the V8 heap, out of the way of the garbage collector.
 */
export class MachineJsonCache {
  private readonly entries = new Map<number, { version: number; epoch: number; json: Buffer }>();
  hits = 0;
  misses = 0;

  constructor(private readonly max = 50_000) {}

  get(id: number, version: number, epoch: number): Buffer | undefined {
    const e = this.entries.get(id);
    if (!e || e.version !== version || e.epoch !== epoch) { this.misses++; return undefined; }
    this.entries.delete(id);
    this.entries.set(id, e); // most recently used last
    this.hits++;
    return e.json;
  }

  set(id: number, version: number, epoch: number, json: Buffer) {
    this.entries.delete(id);
    this.entries.set(id, { version, epoch, json });
    while (this.entries.size > this.max) this.entries.delete(this.entries.keys().next().value as number);
  }

  get size() { return this.entries.size; }
}
