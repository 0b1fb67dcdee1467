/**
 * Address choice (RFC 2131 §4.3.1, with the order the rack wants):
 *   1. the address reserved for the client's MAC;
 *   2. the client's current or previous address in the subnet;
 *   3. the address the client asks for (option 50), if it is free and in a pool;
 *   4. the lowest free address in the pools (no ping check: it costs seconds per lease).
 *
 * Failover: with `allocate` set (config.ts), steps 3 and 4 — new addresses — stay inside that part
 * of the pools; an address elsewhere in the pools is offered or granted only to a client this
 * server knows holds it now (`canOffer`). Confirming an existing binding uses the whole pools.
 *
 * An address is free when no record holds it, or it belongs to the asking client, or its offer has
 * run out, or its lease ended (expired, or record `free`) — on a failover subnet, at least one MCLT
 * ago (below); a `declined` address stays out of use (for every client) until its quarantine ends.
 * Pool scans remember where the last free address was, per subnet, and start again from the bottom
 * whenever the store's generation says an address may have been freed, or the clock has reached the
 * earliest time a skipped address becomes free — so the answer is still the lowest free address,
 * without rescanning a full pool for every client.
 *
 * The MCLT hold, after the DHCP failover protocol (draft-ietf-dhc-failover-12): the MCLT, "maximum
 * client lead time", is the most one server may extend a lease beyond what its partner knows, and a
 * server that cannot reach its partner (PARTNER-DOWN) gives an address to a different client only
 * once one MCLT has passed beyond the lease's expiration. Neither rack knows whether the region
 * still relays the other's renewals, so a lease that ended in this server's store may live on at the
 * peer — the client rebooted and took the peer's ACK, or PXE-booted and took its OFFER, and now
 * renews there by unicast. Giving the address to another client at once would hand it out twice;
 * the hold (`Subnet.mcltMs`, config.ts `mcltSecs`) gives that client one MCLT more.
 */
import type { Subnet } from './config.ts';
import { cidrContains, intToIp, parseIp } from './ipv4.ts';
import type { Lease, LeaseStore } from './lease-store.ts';

export interface ClientIdentity {
  clientKey: string;
  mac: string;
}

/**
 * Whether `lease` (the record at some address) lets `clientKey` have that address at `now`; an ended
 * lease (bound and expired, or free since `expiresAt`) of another client only `holdMs` after it ended.
 */
export function isAvailable(lease: Lease | undefined, clientKey: string, now: number, holdMs = 0): boolean {
  return availableFrom(lease, clientKey, holdMs) <= now;
}

/** From when (ms since the epoch) `lease` lets `clientKey` have its address; -Infinity: already. */
function availableFrom(lease: Lease | undefined, clientKey: string, holdMs: number): number {
  if (!lease) return -Infinity;
  if (lease.state === 'declined') return lease.expiresAt;
  if (lease.clientKey === clientKey) return -Infinity;
  if (lease.state === 'offered') return lease.expiresAt;
  return lease.expiresAt + holdMs;
}

/** Where a pool scan may resume: valid while the generation is unchanged and before `reopensAt`. */
interface ScanHint { generation: number; pool: number; next: number; reopensAt: number }

export class Allocator {
  private hints = new Map<string, ScanHint>();

  constructor(private readonly store: LeaseStore) {}

  /** Forget scan positions (after a configuration change). */
  reset(): void {
    this.hints.clear();
  }

  /**
   * Whether `ip` may be bound to this client in `subnet` now: inside the subnet, either the
   * client's reservation or a pool address not reserved for anyone else and not excluded, and
   * not held by another client.
   */
  canAssign(subnet: Subnet, ip: string, client: ClientIdentity, now: number): boolean {
    const n = parseIp(ip);
    if (n === null || !cidrContains(subnet.cidr, n)) return false;
    const reservedFor = subnet.reservedIps.get(ip);
    if (reservedFor !== undefined) {
      if (reservedFor !== client.mac) return false;
      // A reservation belongs to the NIC (its MAC), not to one client identifier: in one boot a NIC
      // asks as the PXE ROM (no option 61), the initramfs (61 = 01 + MAC) and systemd-networkd (61 =
      // a DUID), and each must get the reserved address, as ISC dhcpd's host declarations (matched
      // by hardware address) give it. Held by the same NIC under another identifier: it is the NIC's.
      const held = this.store.get(ip);
      if (held && held.mac === client.mac && held.state !== 'declined') return true;
    } else {
      if (subnet.excluded.has(n)) return false;
      if (!subnet.pools.some(([lo, hi]) => n >= lo && n <= hi)) return false;
    }
    return isAvailable(this.store.get(ip), client.clientKey, now, subnet.mcltMs);
  }

  /**
   * `canAssign`, and the address is the client's reservation, or in the part of the pools this
   * server allocates from, or held by this client now (bound or offered, unexpired) as far as this
   * server knows — never an address of the failover peer's half that the client merely asks for.
   */
  canOffer(subnet: Subnet, ip: string, client: ClientIdentity, now: number): boolean {
    if (!this.canAssign(subnet, ip, client, now)) return false;
    if (subnet.reservedIps.get(ip) === client.mac) return true;
    const n = parseIp(ip)!;
    if (subnet.allocPools.some(([lo, hi]) => n >= lo && n <= hi)) return true;
    const held = this.store.get(ip);
    return held !== undefined && held.clientKey === client.clientKey && (held.state === 'bound' || held.state === 'offered') && held.expiresAt > now;
  }

  /** The address to OFFER, or undefined when the subnet has none left for this client. */
  chooseOffer(subnet: Subnet, client: ClientIdentity, requestedIp: string | undefined, now: number): string | undefined {
    const reservation = subnet.reservationsByMac.get(client.mac);
    if (reservation && this.canAssign(subnet, reservation.ip, client, now)) return reservation.ip;
    const previous = this.store.byClient(client.clientKey)
      .filter((l) => l.subnet === subnet.key && l.state !== 'declined')
      .sort((a, b) => rank(a) - rank(b) || b.updatedAt - a.updatedAt);
    for (const lease of previous) {
      if (this.canOffer(subnet, lease.ip, client, now)) return lease.ip;
    }
    if (requestedIp !== undefined && this.canOffer(subnet, requestedIp, client, now)) return requestedIp;
    return this.lowestFree(subnet, client, now);
  }

  private lowestFree(subnet: Subnet, client: ClientIdentity, now: number): string | undefined {
    let hint = this.hints.get(subnet.key);
    if (!hint || hint.generation !== this.store.generation || now >= hint.reopensAt) {
      hint = { generation: this.store.generation, pool: 0, next: subnet.allocPools[0]?.[0] ?? 0, reopensAt: Infinity };
    }
    const { generation } = this.store;
    let reopensAt = hint.reopensAt;
    for (let p = hint.pool; p < subnet.allocPools.length; p += 1) {
      const [lo, hi] = subnet.allocPools[p];
      for (let n = p === hint.pool ? Math.max(hint.next, lo) : lo; n <= hi; n += 1) {
        if (subnet.excluded.has(n)) continue;
        const ip = intToIp(n);
        if (subnet.reservedIps.has(ip)) continue;
        // A held address frees itself with time, not with a store change: remember when.
        const from = availableFrom(this.store.get(ip), client.clientKey, subnet.mcltMs);
        if (from > now) { reopensAt = Math.min(reopensAt, from); continue; }
        this.hints.set(subnet.key, { generation, pool: p, next: n, reopensAt });
        return ip;
      }
    }
    this.hints.set(subnet.key, { generation, pool: subnet.allocPools.length, next: 0, reopensAt });
    return undefined;
  }
}

/** Prefer the client's bound address, then an outstanding offer, then a previous (free) one. */
function rank(lease: Lease): number {
  return lease.state === 'bound' ? 0 : lease.state === 'offered' ? 1 : 2;
}
