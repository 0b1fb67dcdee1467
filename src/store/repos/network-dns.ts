/** Domains (writes and counts; reads are in places.ts) and DNS resources with their addresses. */
import type { Queryable } from '../db.ts';
import type { DomainRow } from './places.ts';

export interface DnsResourceRow { id: number; name: string; domain_id: number; address_ttl: number | null; domain_name: string }

const RES_SELECT = 'select r.*, d.name as domain_name from dns_resources r join domains d on d.id = r.domain_id';

export const domainWrites = {
  insert: async (q: Queryable, d: { name: string; authoritative: boolean; ttl: number | null }) =>
    (await q.query<DomainRow>('insert into domains (name, authoritative, ttl) values ($1, $2, $3) returning *', [d.name, d.authoritative, d.ttl]))[0],
  update: async (q: Queryable, id: number, d: { name: string; authoritative: boolean; ttl: number | null }) =>
    (await q.query<DomainRow>('update domains set name = $2, authoritative = $3, ttl = $4 where id = $1 returning *', [id, d.name, d.authoritative, d.ttl]))[0],
  delete: (q: Queryable, id: number) => q.query('delete from domains where id = $1', [id]),
  async setDefault(q: Queryable, id: number) {
    await q.query('update domains set is_default = (id = $1) where is_default or id = $1', [id]);
  },
  /** Per domain: DNS resource records (one per address of a resource) and nodes. */
  counts: async (q: Queryable) => {
    const rows = await q.query<{ domain_id: number; records: number; nodes: number }>(
      `select d.id as domain_id,
              (select count(*)::int from dns_resource_addresses da join dns_resources r on r.id = da.dnsresource_id where r.domain_id = d.id) as records,
              (select count(*)::int from nodes n where n.domain_id = d.id) as nodes
         from domains d`);
    return new Map(rows.map((r) => [r.domain_id, r]));
  },
};

export const dnsRepo = {
  list: (q: Queryable) => q.query<DnsResourceRow>(`${RES_SELECT} order by r.id`),
  byId: async (q: Queryable, id: number) => (await q.query<DnsResourceRow>(`${RES_SELECT} where r.id = $1`, [id]))[0],
  byName: async (q: Queryable, name: string, domainId: number) =>
    (await q.query<DnsResourceRow>(`${RES_SELECT} where r.name = $1 and r.domain_id = $2`, [name, domainId]))[0],
  async insert(q: Queryable, r: { name: string; domain_id: number; address_ttl: number | null }) {
    const [{ id }] = await q.query<{ id: number }>('insert into dns_resources (name, domain_id, address_ttl) values ($1, $2, $3) returning id',
      [r.name, r.domain_id, r.address_ttl]);
    return (await dnsRepo.byId(q, id))!;
  },
  async update(q: Queryable, id: number, r: { name: string; domain_id: number; address_ttl: number | null }) {
    await q.query('update dns_resources set name = $2, domain_id = $3, address_ttl = $4 where id = $1', [id, r.name, r.domain_id, r.address_ttl]);
    return (await dnsRepo.byId(q, id))!;
  },
  delete: (q: Queryable, id: number) => q.query('delete from dns_resources where id = $1', [id]),
  addressIds: (q: Queryable, ids: number[]) => q.query<{ dnsresource_id: number; ip_address_id: number }>(
    'select dnsresource_id, ip_address_id from dns_resource_addresses where dnsresource_id = any($1::int[]) order by ip_address_id', [ids]),
  link: (q: Queryable, resourceId: number, addressId: number) => q.query(
    'insert into dns_resource_addresses (dnsresource_id, ip_address_id) values ($1, $2) on conflict do nothing', [resourceId, addressId]),
  unlinkAll: (q: Queryable, resourceId: number) => q.query('delete from dns_resource_addresses where dnsresource_id = $1', [resourceId]),
  /** Deletes addresses created for DNS resources (user-reserved, no user, no interface) that no resource names any more. */
  dropOrphans: (q: Queryable, addressIds: number[]) => q.query(
    `delete from static_ip_addresses a where a.id = any($1::int[]) and a.alloc_type = 4 and a.interface_id is null and a.user_id is null
        and not exists (select 1 from dns_resource_addresses da where da.ip_address_id = a.id)`, [addressIds]),
  inDomain: async (q: Queryable, domainId: number) =>
    (await q.query<{ n: number }>('select count(*)::int as n from dns_resources where domain_id = $1', [domainId]))[0].n,
};
