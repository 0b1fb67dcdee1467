/**
 * What the region pushes to a rack for DHCP (`DhcpRackPush`): its derived service, plus failover
 * state — the VLANs it is secondary for whose primary rack is not live (no region holds a recent
 * link to it: status.ts `isLive`), and the active leases of every VLAN it shares with a peer, so it
 * recognises the peer's clients.
 */
import type { DhcpRackPush } from '../../domain/network/dhcp-failover.ts';
import type { ServiceContext } from '../context.ts';
import { dhcpServiceForRack } from './dhcp.ts';
import { activeLeases } from './lease-view.ts';
import { isLive, type RackStatusRow } from './status.ts';

export async function dhcpPushForRack(ctx: ServiceContext, rackSystemId: string): Promise<DhcpRackPush> {
  const svc = await dhcpServiceForRack(ctx, rackSystemId);
  const failover = svc.vlans.filter((v) => v.peer !== null);
  if (!failover.length) return { ...svc, primary_gone: [], leases: [] };
  const now = ctx.now();
  const primaries = [...new Set(failover.filter((v) => v.role === 'secondary').map((v) => v.peer!.rack))];
  const status = new Map<string, Pick<RackStatusRow, 'connected' | 'last_seen'>>();
  if (primaries.length) {
    const rows = await ctx.db.query<{ system_id: string; connected: boolean; last_seen: Date | null }>(
      `select n.system_id, s.connected, s.last_seen from nodes n join rack_status s on s.node_id = n.id where n.system_id = any($1::text[])`, [primaries]);
    for (const r of rows) status.set(r.system_id, r);
  }
  const primaryGone = failover.filter((v) => v.role === 'secondary' && !isLive(status.get(v.peer!.rack), now)).map((v) => v.vlan_id);
  const leases = await activeLeases(ctx.db, failover.flatMap((v) => v.subnets.map((s) => s.subnet_id)), now);
  return { ...svc, primary_gone: primaryGone, leases };
}
