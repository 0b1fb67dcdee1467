/** Subnets, their IP ranges and static routes. */
import type { Queryable } from '../db.ts';
import type { SubnetRow } from './network.ts';

export interface IpRangeRow {
  id: number; subnet_id: number; type: 'dynamic' | 'reserved'; start_ip: string; end_ip: string; comment: string;
  user_id: number | null; created: Date; updated: Date;
  /** The creator (joined), for rendering. */
  username: string | null; user_email: string | null; user_is_superuser: boolean | null; user_is_local: boolean | null;
}

export interface StaticRouteRow { id: number; source_subnet_id: number; destination_subnet_id: number; gateway_ip: string; metric: number }

export interface SubnetWrite {
  name: string; description: string; vlan_id: number; cidr: string; gateway_ip: string | null; dns_servers: string[];
  managed: boolean; allow_dns: boolean; allow_proxy: boolean; active_discovery: boolean; rdns_mode: number;
  disabled_boot_architectures: string[]; ipv6_address_mode: string | null;
}

const SUBNET_COLUMNS = ['name', 'description', 'vlan_id', 'cidr', 'gateway_ip', 'dns_servers', 'managed', 'allow_dns', 'allow_proxy',
  'active_discovery', 'rdns_mode', 'disabled_boot_architectures', 'ipv6_address_mode'] as const;

export const subnetsRepo = {
  list: (q: Queryable) => q.query<SubnetRow>('select * from subnets order by id'),
  byId: async (q: Queryable, id: number) => (await q.query<SubnetRow>('select * from subnets where id = $1', [id]))[0],
  byVlan: (q: Queryable, vlanId: number) => q.query<SubnetRow>('select * from subnets where vlan_id = $1 order by id', [vlanId]),
  async insert(q: Queryable, w: SubnetWrite) {
    const vals = SUBNET_COLUMNS.map((c) => w[c]);
    return (await q.query<SubnetRow>(
      `insert into subnets (${SUBNET_COLUMNS.join(', ')}) values (${SUBNET_COLUMNS.map((_, i) => `$${i + 1}`).join(', ')}) returning *`, vals))[0];
  },
  async update(q: Queryable, id: number, w: SubnetWrite) {
    const sets = SUBNET_COLUMNS.map((c, i) => `${c} = $${i + 2}`).join(', ');
    return (await q.query<SubnetRow>(`update subnets set ${sets}, updated = now() where id = $1 returning *`, [id, ...SUBNET_COLUMNS.map((c) => w[c])]))[0];
  },
  delete: (q: Queryable, id: number) => q.query('delete from subnets where id = $1', [id]),
};

const RANGE_SELECT = `
  select r.*, u.username, u.email as user_email, u.is_superuser as user_is_superuser, u.is_local as user_is_local
    from ip_ranges r left join users u on u.id = r.user_id`;

export const rangesRepo = {
  list: (q: Queryable) => q.query<IpRangeRow>(`${RANGE_SELECT} order by r.id`),
  byId: async (q: Queryable, id: number) => (await q.query<IpRangeRow>(`${RANGE_SELECT} where r.id = $1`, [id]))[0],
  bySubnet: (q: Queryable, subnetId: number) => q.query<IpRangeRow>(`${RANGE_SELECT} where r.subnet_id = $1 order by r.id`, [subnetId]),
  bySubnets: (q: Queryable, subnetIds: number[]) =>
    q.query<IpRangeRow>(`${RANGE_SELECT} where r.subnet_id = any($1::int[]) order by r.id`, [subnetIds]),
  async insert(q: Queryable, r: { subnet_id: number; type: string; start_ip: string; end_ip: string; comment: string; user_id: number | null }) {
    const [{ id }] = await q.query<{ id: number }>(
      'insert into ip_ranges (subnet_id, type, start_ip, end_ip, comment, user_id) values ($1, $2, $3, $4, $5, $6) returning id',
      [r.subnet_id, r.type, r.start_ip, r.end_ip, r.comment, r.user_id]);
    return (await rangesRepo.byId(q, id))!;
  },
  async update(q: Queryable, id: number, r: { start_ip: string; end_ip: string; comment: string }) {
    await q.query('update ip_ranges set start_ip = $2, end_ip = $3, comment = $4, updated = now() where id = $1', [id, r.start_ip, r.end_ip, r.comment]);
    return (await rangesRepo.byId(q, id))!;
  },
  delete: (q: Queryable, id: number) => q.query('delete from ip_ranges where id = $1', [id]),
};

export const routesRepo = {
  list: (q: Queryable) => q.query<StaticRouteRow>('select * from static_routes order by id'),
  byId: async (q: Queryable, id: number) => (await q.query<StaticRouteRow>('select * from static_routes where id = $1', [id]))[0],
  /** Gateways of the routes leaving a subnet (IPAM keeps them unassignable). */
  gatewaysFrom: async (q: Queryable, subnetId: number) =>
    (await q.query<{ gateway_ip: string }>('select gateway_ip from static_routes where source_subnet_id = $1', [subnetId])).map((r) => r.gateway_ip),
  async insert(q: Queryable, r: Omit<StaticRouteRow, 'id'>) {
    return (await q.query<StaticRouteRow>(
      'insert into static_routes (source_subnet_id, destination_subnet_id, gateway_ip, metric) values ($1, $2, $3, $4) returning *',
      [r.source_subnet_id, r.destination_subnet_id, r.gateway_ip, r.metric]))[0];
  },
  async update(q: Queryable, id: number, r: Omit<StaticRouteRow, 'id'>) {
    return (await q.query<StaticRouteRow>(
      'update static_routes set source_subnet_id = $2, destination_subnet_id = $3, gateway_ip = $4, metric = $5 where id = $1 returning *',
      [id, r.source_subnet_id, r.destination_subnet_id, r.gateway_ip, r.metric]))[0];
  },
  delete: (q: Queryable, id: number) => q.query('delete from static_routes where id = $1', [id]),
};
