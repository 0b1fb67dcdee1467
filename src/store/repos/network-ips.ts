/**
 * Static IP addresses (MAAS StaticIPAddress): interface links, user reservations and the addresses of
 * DNS resources. A link of an interface is one row with interface_id set; its mode follows from
 * alloc_type and ip (see linkMode).
 */
import type { Queryable } from '../db.ts';

export interface IpAddressRow {
  id: number; ip: string | null; alloc_type: number; subnet_id: number | null; node_id: number | null;
  interface_id: number | null; user_id: number | null; mac_address: string | null; created: Date; updated: Date;
}

/** An address with who holds it (joined), for listings. */
export interface IpAddressView extends IpAddressRow {
  username: string | null; user_email: string | null; user_is_superuser: boolean | null; user_is_local: boolean | null;
  system_id: string | null; hostname: string | null; node_type: number | null; domain_name: string | null;
  interface_name: string | null;
}

const VIEW_SELECT = `
  select a.*, u.username, u.email as user_email, u.is_superuser as user_is_superuser, u.is_local as user_is_local,
         n.system_id, n.hostname, n.node_type, d.name as domain_name, i.name as interface_name
    from static_ip_addresses a
    left join users u on u.id = a.user_id
    left join nodes n on n.id = a.node_id
    left join domains d on d.id = n.domain_id
    left join interfaces i on i.id = a.interface_id`;

export interface NewAddress {
  ip: string | null; alloc_type: number; subnet_id: number | null; node_id?: number | null; interface_id?: number | null;
  user_id?: number | null; mac_address?: string | null;
}

export const addressesRepo = {
  byId: async (q: Queryable, id: number) => (await q.query<IpAddressRow>('select * from static_ip_addresses where id = $1', [id]))[0],
  byIp: async (q: Queryable, ip: string) => (await q.query<IpAddressRow>('select * from static_ip_addresses where ip = $1', [ip]))[0],
  /** The addresses a subnet's IPAM must treat as used. */
  usedInSubnet: (q: Queryable, subnetId: number) =>
    q.query<{ ip: string; alloc_type: number }>('select ip, alloc_type from static_ip_addresses where subnet_id = $1 and ip is not null', [subnetId]),
  /** The same for several subnets at once (bulk statistics). */
  usedInSubnets: (q: Queryable, subnetIds: number[]) =>
    q.query<{ subnet_id: number; ip: string; alloc_type: number }>(
      'select subnet_id, ip, alloc_type from static_ip_addresses where subnet_id = any($1::int[]) and ip is not null', [subnetIds]),
  async insert(q: Queryable, a: NewAddress) {
    return (await q.query<IpAddressRow>(
      `insert into static_ip_addresses (ip, alloc_type, subnet_id, node_id, interface_id, user_id, mac_address)
       values ($1, $2, $3, $4, $5, $6, $7) returning *`,
      [a.ip, a.alloc_type, a.subnet_id, a.node_id ?? null, a.interface_id ?? null, a.user_id ?? null, a.mac_address ?? null]))[0];
  },
  setIp: async (q: Queryable, id: number, ip: string | null) =>
    (await q.query<IpAddressRow>('update static_ip_addresses set ip = $2, updated = now() where id = $1 returning *', [id, ip]))[0],
  delete: (q: Queryable, id: number) => q.query('delete from static_ip_addresses where id = $1', [id]),
  /** Links of interfaces (rows with interface_id), ordered by interface then id. */
  byInterfaces: (q: Queryable, interfaceIds: number[]) =>
    q.query<IpAddressRow>('select * from static_ip_addresses where interface_id = any($1::int[]) order by interface_id, id', [interfaceIds]),
  byNodes: (q: Queryable, nodeIds: number[]) =>
    q.query<IpAddressRow>('select * from static_ip_addresses where node_id = any($1::int[]) and interface_id is not null order by node_id, interface_id, id', [nodeIds]),
  /** Moves every link of one interface to another (a bridge taking over its port's addresses). */
  moveLinks: (q: Queryable, fromId: number, toId: number) =>
    q.query('update static_ip_addresses set interface_id = $2 where interface_id = $1', [fromId, toId]),
  /** Removes every link of an interface. */
  deleteForInterface: (q: Queryable, interfaceId: number) => q.query('delete from static_ip_addresses where interface_id = $1', [interfaceId]),
  views: (q: Queryable, where: string, params: unknown[]) => q.query<IpAddressView>(`${VIEW_SELECT} where ${where} order by a.id`, params),
  /** Whether an address row is still referenced by a DNS resource. */
  inDns: async (q: Queryable, id: number) =>
    (await q.query('select 1 from dns_resource_addresses where ip_address_id = $1 limit 1', [id])).length > 0,
  /** DNS names pointing at the given addresses. */
  dnsNames: (q: Queryable, ids: number[]) => q.query<{ ip_address_id: number; id: number; name: string; domain: string }>(
    `select da.ip_address_id, r.id, r.name, d.name as domain from dns_resource_addresses da
       join dns_resources r on r.id = da.dnsresource_id join domains d on d.id = r.domain_id
      where da.ip_address_id = any($1::int[]) order by r.id`, [ids]),
};

/** MAAS link modes, derived as MAAS derives them from the address row. */
export function linkMode(a: Pick<IpAddressRow, 'alloc_type' | 'ip'>): 'auto' | 'static' | 'dhcp' | 'link_up' {
  if (a.alloc_type === 0) return 'auto';
  if (a.alloc_type === 5) return 'dhcp';
  return a.ip === null ? 'link_up' : 'static';
}

/** A node's default-gateway links. */
export const gatewaysRepo = {
  set: (q: Queryable, nodeId: number, family: 4 | 6, linkId: number | null) =>
    q.query(`update nodes set ${family === 4 ? 'gateway_link_ipv4_id' : 'gateway_link_ipv6_id'} = $2 where id = $1`, [nodeId, linkId]),
  get: async (q: Queryable, nodeId: number) =>
    (await q.query<{ gateway_link_ipv4_id: number | null; gateway_link_ipv6_id: number | null }>(
      'select gateway_link_ipv4_id, gateway_link_ipv6_id from nodes where id = $1', [nodeId]))[0],
};
