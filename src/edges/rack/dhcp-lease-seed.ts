/**
 * Loads the leases the region pushes (those the VLAN's racks reported) into this rack's lease store,
 * so a client leased by the failover peer is recognised here: its renewal or rebind is ACKed with
 * the same address, and nobody else is offered that address.
 *
 * Merge rules, per address (this rack's own first-hand records win over second-hand ones):
 * - expired pushed leases, and subnets this rack does not serve, are ignored;
 * - no local record: take the pushed one;
 * - same client: take it when it runs longer than what we hold (the peer renewed it);
 * - another client: take it only when the local record is not live, or was itself learned and is
 *   older — a live binding this server made itself is never overwritten by the region's view,
 *   which lags behind it.
 * A pushed lease is `learned` unless this rack granted it (the region echoes our own leases too).
 */
import type { DhcpKnownLease } from '../../domain/network/dhcp-failover.ts';
import type { DhcpRackService } from '../../domain/network/dhcp-service.ts';
import type { Lease, LeaseStore } from './dhcp/index.ts';

/** The DHCP server's client key for a pushed lease (see dhcp/request.ts: option 61, else htype 1 + MAC). */
const keyOf = (l: DhcpKnownLease): string => l.client_key ?? `hw:1:${l.mac.toLowerCase()}`;

const live = (l: Lease, now: number) => l.state !== 'free' && l.expiresAt > now;

export async function learnLeases(store: LeaseStore, svc: Pick<DhcpRackService, 'rack' | 'vlans'>, leases: readonly DhcpKnownLease[], now: number): Promise<number> {
  const cidrOf = new Map<number, string>();
  for (const v of svc.vlans) for (const s of v.subnets) if (s.ip_version === 4) cidrOf.set(s.subnet_id, s.cidr);
  const writes: Promise<void>[] = [];
  for (const p of leases) {
    const subnet = cidrOf.get(p.subnet_id);
    const expiresAt = Date.parse(p.expires);
    const updatedAt = Date.parse(p.updated);
    if (!subnet || !(expiresAt > now) || Number.isNaN(updatedAt)) continue;
    const clientKey = keyOf(p);
    const local = store.get(p.ip);
    if (local) {
      if (local.clientKey === clientKey) {
        if (local.state === 'declined' || (local.state === 'bound' && local.expiresAt >= expiresAt)) continue;
      } else if (live(local, now) && (!local.learned || local.updatedAt >= updatedAt)) {
        continue;
      }
    }
    writes.push(store.put({
      ip: p.ip, subnet, clientKey, mac: p.mac.toLowerCase(), state: 'bound', expiresAt, updatedAt,
      ...(local?.clientKey === clientKey && local.hostname !== undefined ? { hostname: local.hostname } : {}),
      ...(p.rack === svc.rack ? {} : { learned: true }),
    }));
  }
  await Promise.all(writes);
  return writes.length;
}
