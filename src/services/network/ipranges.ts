/**
 * IP ranges: dynamic (DHCP's; admins only) and reserved (any user may reserve; owners and admins edit).
 * Checked by the domain's validateIpRange under the subnet's IPAM lock, so a range never covers an
 * address handed out concurrently.
 */
import { forbidden, invalid, noMatch } from '../../domain/errors.ts';
import { formatIp, tryParseIp } from '../../domain/network/ip.ts';
import { validateIpRange } from '../../domain/network/validate.ts';
import { loadTopology } from '../../store/repos/network.ts';
import { rangesRepo, type IpRangeRow } from '../../store/repos/network-subnets.ts';
import type { Actor, Queryable, ServiceContext } from '../context.ts';
import { lockSubnet, subnetUsage } from './allocate.ts';
import { throwIssues } from './common.ts';
import { getSubnet } from './lookup.ts';
import { asDomainRange, assertDhcpKeepsRange } from './vlans.ts';

export interface RangeFields { type?: string; start_ip?: string; end_ip?: string; subnet?: string; comment?: string }

export const listRanges = (ctx: ServiceContext) => rangesRepo.list(ctx.db);

async function rangeById(q: Queryable, id: string): Promise<IpRangeRow> {
  const row = /^\d{1,9}$/.test(id) ? await rangesRepo.byId(q, Number(id)) : undefined;
  if (!row) throw noMatch('IPRange');
  return row;
}
export const getRange = (ctx: ServiceContext, id: string) => rangeById(ctx.db, id);

function mayEdit(actor: Actor, r: { type: string; user_id: number | null }, verb: string) {
  if (actor.isAdmin) return;
  if (r.type === 'dynamic') throw forbidden(`Only administrators can ${verb} dynamic IP ranges.`);
  if (r.user_id !== actor.id) throw forbidden(`Only the user who reserved this range, or an administrator, can ${verb} it.`);
}

const canonical = (ip: string) => { const a = tryParseIp(ip.trim()); return a ? formatIp(a) : ip; };

async function validate(q: Queryable, subnetId: number, draft: { id?: number; type: string; start_ip: string; end_ip: string }) {
  const subnet = (await loadTopology(q)).subnets.get(subnetId)!;
  await lockSubnet(q, subnetId);
  const u = await subnetUsage(q, subnetId);
  throwIssues(validateIpRange({ ...draft, subnet_id: subnetId, type: draft.type as 'dynamic' }, {
    subnet, ranges: u.ranges.map(asDomainRange), used: u.used, staticRouteGateways: u.routeGateways,
  }));
}

export async function createRange(ctx: ServiceContext, actor: Actor, f: RangeFields): Promise<IpRangeRow> {
  const missing = (['type', 'start_ip', 'end_ip', 'subnet'] as const).filter((k) => !f[k]);
  if (missing.length) throw invalid(Object.fromEntries(missing.map((k) => [k, ['This field is required.']])));
  mayEdit(actor, { type: f.type!, user_id: actor.id }, 'create');
  return ctx.db.tx(async (q) => {
    const subnet = await getSubnet(q, f.subnet!).catch(() => { throw invalid({ subnet: [`Subnet ${f.subnet} does not exist.`] }); });
    const draft = { type: f.type!, start_ip: canonical(f.start_ip!), end_ip: canonical(f.end_ip!) };
    await validate(q, subnet.id, draft);
    return rangesRepo.insert(q, { ...draft, subnet_id: subnet.id, comment: f.comment ?? '', user_id: actor.id });
  });
}

export async function updateRange(ctx: ServiceContext, actor: Actor, id: string, f: RangeFields): Promise<IpRangeRow> {
  return ctx.db.tx(async (q) => {
    const row = await rangeById(q, id);
    mayEdit(actor, row, 'modify');
    const draft = { id: row.id, type: row.type, start_ip: canonical(f.start_ip ?? row.start_ip), end_ip: canonical(f.end_ip ?? row.end_ip) };
    await validate(q, row.subnet_id, draft);
    return rangesRepo.update(q, row.id, { start_ip: draft.start_ip, end_ip: draft.end_ip, comment: f.comment ?? row.comment });
  });
}

export async function deleteRange(ctx: ServiceContext, actor: Actor, id: string): Promise<void> {
  await ctx.db.tx(async (q) => {
    const row = await rangeById(q, id);
    mayEdit(actor, row, 'delete');
    await lockSubnet(q, row.subnet_id);
    if (row.type === 'dynamic') {
      const subnet = (await loadTopology(q)).subnets.get(row.subnet_id)!;
      await assertDhcpKeepsRange(q, subnet.vlan_id, { rangeId: row.id });
    }
    await rangesRepo.delete(q, row.id);
  });
}
