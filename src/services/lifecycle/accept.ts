/**
 * Accepting enlisted machines (`machines/?op=accept`, `accept_all`): NEW machines start commissioning;
 * READY ones were accepted already and are skipped; any other status refuses the whole request.
 */
import { conflict, forbidden } from '../../domain/errors.ts';
import { NodeStatus, statusName } from '../../domain/machine/status.ts';
import type { NodeRow } from '../../store/repos/machines.ts';
import type { Actor, Queryable, ServiceContext } from '../context.ts';
import { startCommissioning } from './commission.ts';
import { wake } from './machine-tx.ts';

async function acceptRows(q: Queryable, ctx: ServiceContext, actor: Actor, rows: NodeRow[]): Promise<string[]> {
  const bad = rows.find((m) => m.status !== NodeStatus.NEW && m.status !== NodeStatus.READY);
  if (bad) throw conflict(`Cannot accept node enlistment: node ${bad.system_id} is in state ${statusName(bad.status)}.`);
  const locked = rows.find((m) => m.locked);
  if (locked) throw forbidden(`Machine ${locked.system_id} is locked; unlock it before you accept it.`);
  const accepted: string[] = [];
  for (const m of rows) {
    if (m.status !== NodeStatus.NEW) continue;
    await startCommissioning(q, ctx, actor, m, { comment: 'Accepted' });
    accepted.push(m.system_id);
  }
  return accepted;
}

/** Accepts the given machines; returns the system ids that started commissioning. */
export async function accept(ctx: ServiceContext, actor: Actor, systemIds: string[]): Promise<string[]> {
  if (!actor.isAdmin) throw forbidden();
  const wanted = [...new Set(systemIds)];
  const out = await ctx.db.tx(async (q) => {
    const rows = await q.query<NodeRow>('select * from nodes where system_id = any($1::text[]) and node_type = 0 order by id for update', [wanted]);
    if (rows.length < wanted.length) {
      const have = new Set(rows.map((r) => r.system_id));
      throw forbidden(`You don't have the required permission to accept the following machine(s): ${wanted.filter((s) => !have.has(s)).join(', ')}.`);
    }
    return acceptRows(q, ctx, actor, rows);
  });
  wake(ctx);
  return out;
}

/** Accepts every NEW machine. */
export async function acceptAll(ctx: ServiceContext, actor: Actor): Promise<string[]> {
  if (!actor.isAdmin) throw forbidden();
  const out = await ctx.db.tx(async (q) => {
    const rows = await q.query<NodeRow>('select * from nodes where status = $1 and node_type = 0 and not locked order by id for update', [NodeStatus.NEW]);
    return acceptRows(q, ctx, actor, rows);
  });
  wake(ctx);
  return out;
}
