import type { Queryable } from '../db.ts';
import type { ConfigValue } from '../../domain/config.ts';

export const configRepo = {
  all: async (q: Queryable) => {
    const rows = await q.query<{ name: string; value: ConfigValue }>('select name, value from config');
    return new Map(rows.map((r) => [r.name, r.value]));
  },
  get: async (q: Queryable, name: string) =>
    (await q.query<{ value: ConfigValue }>('select value from config where name = $1', [name]))[0]?.value,
  set: (q: Queryable, name: string, value: ConfigValue) =>
    q.query('insert into config (name, value) values ($1, $2::jsonb) on conflict (name) do update set value = excluded.value', [name, JSON.stringify(value)]),
};
