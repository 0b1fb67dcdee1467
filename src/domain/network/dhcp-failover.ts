/**
 * DHCP failover between a VLAN's primary and secondary rack, as plain data and pure rules.
 *
 * No address twice, even when the racks cannot reach the region or each other: the dynamic pools of
 * a subnet are split (as ISC failover splits free leases) — the primary hands out NEW addresses only
 * from the lower half, the secondary only from the upper half. Either may confirm (renew, rebind,
 * INIT-REBOOT) an address anywhere in the pools to a client it knows holds it; that knowledge comes
 * from the leases each rack reports to the region, which pushes the active ones to both racks.
 *
 * The split counts addresses across all pools in address order, so both racks — given the same
 * pools — compute the same boundary with no coordination. With an odd count the primary gets the
 * extra address.
 */
import { addToIp, compareIp, formatIp, rangeSize, tryParseIp, type IpAddress } from './ip.ts';
import type { DhcpRackService } from './dhcp-service.ts';

export interface PoolRange { start: string; end: string }

/** A lease one of the racks granted, as the region remembers it. */
export interface DhcpKnownLease {
  subnet_id: number;
  ip: string;
  mac: string;
  /** The DHCP server's client key (option 61 or hardware address); null when the rack did not say. */
  client_key: string | null;
  /** ISO 8601. */
  expires: string;
  /** system_id of the rack that last granted or renewed it. */
  rack: string | null;
  /** ISO 8601: when the region last heard of it. */
  updated: string;
}

/** What the region pushes to a rack: its service, the VLANs whose primary is gone, the leases it must know. */
export interface DhcpRackPush extends DhcpRackService {
  /** VLANs this rack is secondary for whose primary is not linked to any region. */
  primary_gone: number[];
  /** Active leases of the failover VLANs this rack serves (either role). */
  leases: DhcpKnownLease[];
}

interface Range { start: IpAddress; end: IpAddress }

function parsed(pools: readonly PoolRange[]): Range[] {
  const out: Range[] = [];
  for (const p of pools) {
    const start = tryParseIp(p.start);
    const end = tryParseIp(p.end);
    if (!start || !end || start.version !== end.version || compareIp(start, end) > 0) continue;
    out.push({ start, end });
  }
  return out.sort((a, b) => compareIp(a.start, b.start));
}

/**
 * The part of `pools` a failover partner allocates new addresses from: the lower half (by address
 * count) for the primary, the upper half for the secondary. Malformed ranges are dropped (the DHCP
 * server's own validation reports them).
 */
export function splitPools(pools: readonly PoolRange[], role: 'primary' | 'secondary'): PoolRange[] {
  const ranges = parsed(pools);
  const total = ranges.reduce((n, r) => n + rangeSize(r.start, r.end), 0n);
  let primaryLeft = (total + 1n) / 2n;
  const out: PoolRange[] = [];
  for (const r of ranges) {
    const size = rangeSize(r.start, r.end);
    const mine = primaryLeft >= size ? size : primaryLeft;
    primaryLeft -= mine;
    if (role === 'primary' && mine > 0n) out.push({ start: formatIp(r.start), end: formatIp(addToIp(r.start, mine - 1n)) });
    if (role === 'secondary' && mine < size) out.push({ start: formatIp(addToIp(r.start, mine)), end: formatIp(r.end) });
  }
  return out;
}
