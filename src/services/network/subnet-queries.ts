/** A subnet's address questions, answered by the domain's IPAM over what the store holds. */
import { reservedRanges, unreservedRanges, type PurposeRangeJson, type RangeJson } from '../../domain/network/ipam.ts';
import { statistics, type SubnetStatistics } from '../../domain/network/statistics.ts';
import type { SubnetRow } from '../../store/repos/network.ts';
import { addressesRepo, type IpAddressView } from '../../store/repos/network-ips.ts';
import type { ServiceContext } from '../context.ts';
import { subnetUsage } from './allocate.ts';

export async function subnetReservedRanges(ctx: ServiceContext, s: SubnetRow): Promise<PurposeRangeJson[]> {
  const u = await subnetUsage(ctx.db, s.id);
  return reservedRanges(s, u.ranges, u.used, { staticRouteGateways: u.routeGateways });
}

export async function subnetUnreservedRanges(ctx: ServiceContext, s: SubnetRow): Promise<RangeJson[]> {
  const u = await subnetUsage(ctx.db, s.id);
  return unreservedRanges(s, u.ranges, u.used, { staticRouteGateways: u.routeGateways });
}

export async function subnetStatistics(ctx: ServiceContext, s: SubnetRow, o: { includeRanges: boolean; includeSuggestions: boolean }): Promise<SubnetStatistics> {
  const u = await subnetUsage(ctx.db, s.id);
  return statistics(s, u.ranges, u.used, { staticRouteGateways: u.routeGateways, ...o });
}

export interface SubnetAddress { view: IpAddressView; dns: Array<{ id: number; name: string; domain: string }> }

/** Addresses held in the subnet (observed ones included), with their holders and DNS names. */
export async function subnetAddresses(ctx: ServiceContext, s: SubnetRow): Promise<SubnetAddress[]> {
  const views = await addressesRepo.views(ctx.db, 'a.subnet_id = $1 and a.ip is not null', [s.id]);
  const names = views.length ? await addressesRepo.dnsNames(ctx.db, views.map((v) => v.id)) : [];
  return views.map((view) => ({ view, dns: names.filter((n) => n.ip_address_id === view.id).map(({ id, name, domain }) => ({ id, name, domain })) }));
}
