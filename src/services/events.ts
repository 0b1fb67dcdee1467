/** Events: what happened to a machine, readable by users (`events/?op=query`). */
import { badRequest } from '../domain/errors.ts';
import { EventLevel, levelsAtOrAbove, parseLevel } from '../domain/events.ts';
import { normalizeMac } from '../domain/machine/mac.ts';
import { eventsRepo, type NewEvent } from '../store/repos/events.ts';
import type { Queryable, ServiceContext } from './context.ts';

/**
 * Records an event. A status event (`status: true`) also becomes the machine's status_message
 * ("<type> - <description>") and status_action, as MAAS shows them.
 */
export async function recordEvent(q: Queryable, e: NewEvent & { status?: boolean }) {
  const id = await eventsRepo.insert(q, e);
  if (e.status && e.nodeId !== null) {
    const message = e.description ? `${e.typeName} - ${e.description}` : e.typeName;
    await q.query('update nodes set status_message = $2, status_action = $3 where id = $1', [e.nodeId, message, e.action ?? '']);
  }
  return id;
}

export interface EventQuery {
  hostname?: string[]; mac_address?: string[]; id?: string[]; zone?: string; agent_name?: string; owner?: string;
  level?: string; limit?: number; before?: number; after?: number;
}

export async function queryEvents(ctx: ServiceContext, f: EventQuery) {
  const where: string[] = [];
  const params: unknown[] = [];
  const p = (v: unknown) => { params.push(v); return `$${params.length}`; };
  const level = f.level === undefined ? EventLevel.INFO : parseLevel(f.level);
  if (level === undefined) throw badRequest(`Unknown event level: '${f.level}'. Use one of AUDIT, DEBUG, INFO, WARNING, ERROR, CRITICAL.`);
  where.push(`e.level = any(${p(levelsAtOrAbove(level))}::int[])`);
  if (f.hostname?.length) where.push(`coalesce(n.hostname, e.hostname) = any(${p(f.hostname)}::text[])`);
  if (f.id?.length) where.push(`n.system_id = any(${p(f.id)}::text[])`);
  if (f.mac_address?.length) {
    const macs = f.mac_address.map((m) => {
      const n = normalizeMac(m);
      if (!n) throw badRequest(`Invalid MAC address: '${m}'.`);
      return n;
    });
    where.push(`e.node_id in (select node_id from interfaces where mac_address = any(${p(macs)}::text[]))`);
  }
  if (f.zone) where.push(`n.zone_id in (select id from zones where name = ${p(f.zone)})`);
  if (f.agent_name) where.push(`n.agent_name = ${p(f.agent_name)}`);
  if (f.owner) where.push(`n.owner_id in (select id from users where username = ${p(f.owner)})`);
  const limit = f.limit ?? 100;
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw badRequest('limit must be a whole number from 1 to 1000.');
  let order: 'asc' | 'desc' = 'desc';
  if (f.before !== undefined) where.push(`e.id < ${p(f.before)}`);
  if (f.after !== undefined) { where.push(`e.id > ${p(f.after)}`); order = 'asc'; }
  const rows = await eventsRepo.query(ctx.db, where, params, order, limit);
  return order === 'asc' ? rows.reverse() : rows;
}
