/**
 * Choosing addresses in a subnet, safely under concurrency — across region processes too.
 *
 * Strategy: a per-subnet advisory lock. A transaction that hands out or asserts an address takes
 * `pg_advisory_xact_lock(IPAM_LOCK_CLASS, subnet_id)` first, then reads what is in use and lets the
 * domain pick (pickAuto: the lowest free address) or check (checkStatic) the address, and writes it
 * before committing. Transactions on one subnet therefore run one after another; in READ COMMITTED
 * each statement after the lock sees every address the previous holder committed, so no two callers
 * can pick the same address — whichever region process they run in, as all share one PostgreSQL
 * (PGlite serialises transactions anyway). The lock is released at commit or rollback, so a failed
 * request never blocks others. Subnet and range edits take the same lock, so an allocation never
 * races a range change. The unique index on static_ip_addresses(ip) is the backstop.
 */
import { conflict, invalid } from '../../domain/errors.ts';
import { checkStatic, pickAuto } from '../../domain/network/ipam.ts';
import type { AllocType } from '../../domain/network/types.ts';
import type { SubnetRow } from '../../store/repos/network.ts';
import { addressesRepo } from '../../store/repos/network-ips.ts';
import { rangesRepo, routesRepo, type IpRangeRow } from '../../store/repos/network-subnets.ts';
import type { Queryable } from '../context.ts';

/** First key of Plinth's IPAM advisory locks ('PLIP'); the second is the subnet id. */
export const IPAM_LOCK_CLASS = 0x504c4950;

export async function lockSubnet(q: Queryable, subnetId: number): Promise<void> {
  await q.query('select pg_advisory_xact_lock($1::int, $2::int)', [IPAM_LOCK_CLASS, subnetId]);
}

export interface SubnetUsage {
  ranges: IpRangeRow[];
  used: Array<{ ip: string; alloc_type: AllocType }>;
  routeGateways: string[];
}

export async function subnetUsage(q: Queryable, subnetId: number): Promise<SubnetUsage> {
  // Sequential: q is usually a transaction's single connection.
  const ranges = await rangesRepo.bySubnet(q, subnetId);
  const used = await addressesRepo.usedInSubnet(q, subnetId);
  const routeGateways = await routesRepo.gatewaysFrom(q, subnetId);
  return { ranges, used: used.map((u) => ({ ip: u.ip, alloc_type: u.alloc_type as AllocType })), routeGateways };
}

/**
 * Under the subnet's lock: `wanted` checked (400 naming `field`, or 409 when already in use), or
 * the lowest free address (503 with the reason when the subnet is exhausted). Call inside a
 * transaction and write the address before it commits.
 */
export async function chooseAddress(q: Queryable, subnet: SubnetRow, wanted: string | undefined, field: string): Promise<string> {
  await lockSubnet(q, subnet.id);
  const u = await subnetUsage(q, subnet.id);
  const opts = { staticRouteGateways: u.routeGateways };
  if (wanted === undefined || wanted === '') return pickAuto(subnet, u.ranges, u.used, opts);
  const c = checkStatic(wanted, subnet, u.ranges, u.used, opts);
  if (c.ok) return c.ip;
  if (c.code === 'in_use') throw conflict(c.reason);
  throw invalid({ [field]: [c.reason] });
}
