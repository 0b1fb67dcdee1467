import type { Queryable } from '../db.ts';

export interface EventRow {
  id: number; node_id: number | null; system_id: string | null; hostname: string; username: string;
  level: number; type_name: string; description: string; action: string; created: Date;
}

export interface NewEvent {
  nodeId: number | null; hostname: string; username: string; level: number; typeName: string; description: string; action?: string;
}

export const eventsRepo = {
  insert: async (q: Queryable, e: NewEvent) =>
    (await q.query<{ id: number }>(
      'insert into events (node_id, hostname, username, level, type_name, description, action) values ($1,$2,$3,$4,$5,$6,$7) returning id',
      [e.nodeId, e.hostname, e.username, e.level, e.typeName, e.description, e.action ?? ''],
    ))[0].id,
  /** where/params are built by the service from MAAS's filters (conditions on `e` and `n`). */
  query: (q: Queryable, where: string[], params: unknown[], order: 'asc' | 'desc', limit: number) =>
    q.query<EventRow>(
      `select e.*, n.system_id from events e left join nodes n on n.id = e.node_id
        ${where.length ? 'where ' + where.join(' and ') : ''} order by e.id ${order} limit ${Math.trunc(limit)}`,
      params,
    ),
};
