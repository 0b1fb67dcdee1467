/** Static routes from one subnet to another through a gateway in the source subnet. */
import { invalid, noMatch } from '../../domain/errors.ts';
import { contains, tryParseCidr, tryParseIp } from '../../domain/network/ip.ts';
import { addressesRepo } from '../../store/repos/network-ips.ts';
import { routesRepo, type StaticRouteRow } from '../../store/repos/network-subnets.ts';
import type { Actor, Queryable, ServiceContext } from '../context.ts';
import { lockSubnet } from './allocate.ts';
import { parseAddress, requireAdmin } from './common.ts';
import { getSubnet } from './lookup.ts';

export interface RouteFields { source?: string; destination?: string; gateway_ip?: string; metric?: number }

export const listRoutes = (ctx: ServiceContext) => routesRepo.list(ctx.db);

async function routeById(q: Queryable, id: string): Promise<StaticRouteRow> {
  const row = /^\d{1,9}$/.test(id) ? await routesRepo.byId(q, Number(id)) : undefined;
  if (!row) throw noMatch('StaticRoute');
  return row;
}
export const getRoute = (ctx: ServiceContext, id: string) => routeById(ctx.db, id);

async function resolve(q: Queryable, f: RouteFields, base?: StaticRouteRow): Promise<Omit<StaticRouteRow, 'id'>> {
  const subnet = async (field: 'source' | 'destination', current?: number) => {
    if (f[field] === undefined) {
      if (current === undefined) throw invalid({ [field]: ['This field is required.'] });
      return (await getSubnet(q, String(current)));
    }
    return getSubnet(q, f[field]!).catch(() => { throw invalid({ [field]: [`Subnet ${f[field]} does not exist.`] }); });
  };
  const source = await subnet('source', base?.source_subnet_id);
  const destination = await subnet('destination', base?.destination_subnet_id);
  if (f.gateway_ip === undefined && !base) throw invalid({ gateway_ip: ['This field is required.'] });
  const gateway = f.gateway_ip === undefined ? base!.gateway_ip : parseAddress('gateway_ip', f.gateway_ip);
  const metric = f.metric ?? base?.metric ?? 0;
  const errors: Record<string, string[]> = {};
  if (source.id === destination.id) errors.destination = ['source and destination cannot be the same subnet.'];
  const s = tryParseCidr(source.cidr)!;
  const d = tryParseCidr(destination.cidr)!;
  if (s.version !== d.version) errors.destination = [`source ${source.cidr} and destination ${destination.cidr} must be of the same address family.`];
  const gw = tryParseIp(gateway)!;
  if (!contains(s, gw)) errors.gateway_ip = [`gateway_ip (${gateway}) must be within the source subnet ${source.cidr}.`];
  if (metric < 0) errors.metric = ['Ensure this value is greater than or equal to 0.'];
  if (Object.keys(errors).length) throw invalid(errors);
  await lockSubnet(q, source.id);
  const held = await addressesRepo.byIp(q, gateway);
  if (held && held.alloc_type !== 6) throw invalid({ gateway_ip: [`${gateway} is assigned to something else (address id ${held.id}); a route's gateway must be the router's address.`] });
  return { source_subnet_id: source.id, destination_subnet_id: destination.id, gateway_ip: gateway, metric };
}

const duplicate = async (q: Queryable, r: Omit<StaticRouteRow, 'id'>, exceptId = -1) =>
  (await routesRepo.list(q)).some((x) => x.id !== exceptId && x.source_subnet_id === r.source_subnet_id
    && x.destination_subnet_id === r.destination_subnet_id && x.gateway_ip === r.gateway_ip);
const DUPLICATE = { __all__: ['Static route with this Source, Destination and Gateway ip already exists.'] };

export async function createRoute(ctx: ServiceContext, actor: Actor, f: RouteFields): Promise<StaticRouteRow> {
  requireAdmin(actor);
  return ctx.db.tx(async (q) => {
    const r = await resolve(q, f);
    if (await duplicate(q, r)) throw invalid(DUPLICATE);
    return routesRepo.insert(q, r);
  });
}

export async function updateRoute(ctx: ServiceContext, actor: Actor, id: string, f: RouteFields): Promise<StaticRouteRow> {
  requireAdmin(actor);
  return ctx.db.tx(async (q) => {
    const row = await routeById(q, id);
    const r = await resolve(q, f, row);
    if (await duplicate(q, r, row.id)) throw invalid(DUPLICATE);
    return routesRepo.update(q, row.id, r);
  });
}

export async function deleteRoute(ctx: ServiceContext, actor: Actor, id: string): Promise<void> {
  requireAdmin(actor);
  const row = await getRoute(ctx, id);
  await routesRepo.delete(ctx.db, row.id);
}
