/** Zones, resource pools and domains: small named collections machines belong to. */
import type { Queryable } from '../db.ts';

export interface ZoneRow { id: number; name: string; description: string }
export interface PoolRow { id: number; name: string; description: string }
export interface DomainRow { id: number; name: string; ttl: number | null; authoritative: boolean; is_default: boolean }

function namedRepo<T extends { id: number; name: string }>(table: string) {
  return {
    list: (q: Queryable) => q.query<T>(`select * from ${table} order by id`),
    byName: async (q: Queryable, name: string) => (await q.query<T>(`select * from ${table} where name = $1`, [name]))[0],
    byId: async (q: Queryable, id: number) => (await q.query<T>(`select * from ${table} where id = $1`, [id]))[0],
    insert: async (q: Queryable, name: string, description: string) =>
      (await q.query<T>(`insert into ${table} (name, description) values ($1, $2) returning *`, [name, description]))[0],
    update: async (q: Queryable, id: number, name: string, description: string) =>
      (await q.query<T>(`update ${table} set name = $2, description = $3, updated = now() where id = $1 returning *`, [id, name, description]))[0],
    delete: (q: Queryable, id: number) => q.query(`delete from ${table} where id = $1`, [id]),
    usage: async (q: Queryable, id: number, column: string) =>
      (await q.query<{ n: number }>(`select count(*)::int as n from nodes where ${column} = $1`, [id]))[0].n,
  };
}

export const zonesRepo = namedRepo<ZoneRow>('zones');
export const poolsRepo = namedRepo<PoolRow>('resource_pools');

export const domainsRepo = {
  list: (q: Queryable) => q.query<DomainRow>('select * from domains order by id'),
  byName: async (q: Queryable, name: string) => (await q.query<DomainRow>('select * from domains where name = $1', [name]))[0],
  byId: async (q: Queryable, id: number) => (await q.query<DomainRow>('select * from domains where id = $1', [id]))[0],
  default: async (q: Queryable) => (await q.query<DomainRow>('select * from domains where is_default limit 1'))[0],
  counts: async (q: Queryable) => {
    const rows = await q.query<{ domain_id: number; n: number }>('select domain_id, count(*)::int as n from nodes group by domain_id');
    return new Map(rows.map((r) => [r.domain_id, r.n]));
  },
};
