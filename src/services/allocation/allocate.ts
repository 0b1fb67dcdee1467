/**
 * Allocate: pick the cheapest Ready machine that satisfies the constraints and make it the caller's
 * (Ready → Allocated, owner, agent name, an event), in one transaction.
 *
 * Concurrency: candidates are chosen without locks, page by page in cost order; the winner is taken
 * with `FOR UPDATE SKIP LOCKED` and its constraints re-checked under the lock, so two allocations
 * never get the same machine and neither waits behind the other. Candidates skipped only because
 * another transaction held them are tried once more with a waiting lock before answering 409, so a
 * transaction that rolls back never makes a request fail while a machine is free.
 */
import { cleanConstraints, noMatchMessage, type AllocationConstraints, type AllocationRequest } from '../../domain/allocation/constraints.ts';
import { conflict } from '../../domain/errors.ts';
import { EventLevel } from '../../domain/events.ts';
import { canTransition, NodeStatus } from '../../domain/machine/status.ts';
import { loadMachine, type MachineRecord, type NodeFilter } from '../../store/repos/machines.ts';
import type { Actor, Queryable, ServiceContext } from '../context.ts';
import { recordEvent } from '../events.ts';
import { matchHardware, needsHardware, type HardwareMatch } from './facts.ts';
import { compileAllocationFilter, COST_ORDER } from './filter.ts';

export interface AllocateOptions {
  agentName?: string;
  comment?: string;
  dryRun?: boolean;
  verbose?: boolean;
  /** The request's parameters as sent (for MAAS's 409 text). */
  params: Array<[string, string[]]>;
}

export interface Allocation extends HardwareMatch {
  machine: MachineRecord;
  constraints: AllocationConstraints;
  /** With `verbose`: every candidate's matches (node id → disk id → label; label → node id → interface ids). */
  verbose?: { storage: Record<string, Record<string, string>>; interfaces: Record<string, Record<string, number[]>> };
}

const PAGE = 200;

export async function allocateMachine(ctx: ServiceContext, actor: Actor, request: AllocationRequest, opts: AllocateOptions): Promise<Allocation> {
  const c = cleanConstraints(request);
  const filter = await compileAllocationFilter(ctx.db, c);
  const verbose = opts.verbose ? await verboseMatches(ctx.db, filter, c) : undefined;
  const contended: number[] = [];
  for (let offset = 0; ; offset += PAGE) {
    const page = await candidates(ctx.db, filter, `limit ${PAGE} offset ${offset}`);
    if (!page.length) break;
    const matching = await matchHardware(ctx.db, page, c);
    if (opts.dryRun) {
      const first = page.find((id) => matching.has(id));
      if (first !== undefined) return finish(ctx, first, matching.get(first)!, c, verbose);
      continue;
    }
    const got = await acquire(ctx, actor, c, filter, page.filter((id) => matching.has(id)), opts, false, contended);
    if (got) return finish(ctx, got.id, got.match, c, verbose);
  }
  for (const id of contended) {
    const got = await acquire(ctx, actor, c, filter, [id], opts, true, []);
    if (got) return finish(ctx, got.id, got.match, c, verbose);
  }
  throw conflict(noMatchMessage(c, opts.params));
}

async function candidates(q: Queryable, f: NodeFilter, tail: string, extra?: { ids: number[] }): Promise<number[]> {
  const where = [...f.where];
  const params = [...f.params];
  if (extra) { params.push(extra.ids); where.push(`n.id = any($${params.length}::int[])`); }
  return (await q.query<{ id: number }>(`select n.id from nodes n where ${where.join(' and ')} ${COST_ORDER} ${tail}`, params)).map((r) => r.id);
}

/** A candidate's hardware changed between choosing and locking it: retry without it. */
class Stale extends Error { constructor(readonly id: number) { super('stale candidate'); } }

async function acquire(
  ctx: ServiceContext, actor: Actor, c: AllocationConstraints, f: NodeFilter, ids: number[], opts: AllocateOptions,
  wait: boolean, contended: number[],
): Promise<{ id: number; match: HardwareMatch } | null> {
  let pool = ids;
  while (pool.length) {
    try {
      return await ctx.db.tx(async (q) => {
        const params = [...f.params, pool];
        const rows = await q.query<{ id: number; status: number; hostname: string }>(
          `select n.id, n.status, n.hostname from nodes n where ${f.where.join(' and ')} and n.id = any($${params.length}::int[])
           ${COST_ORDER} limit 1 for update of n ${wait ? '' : 'skip locked'}`, params);
        const row = rows[0];
        if (!row) {
          // Still matching but locked by someone else: worth one waiting attempt later.
          if (!wait) contended.push(...(await candidates(q, f, '', { ids: pool })));
          return null;
        }
        const match = (await matchHardware(q, [row.id], c)).get(row.id);
        if (!match || !canTransition(row.status, NodeStatus.ALLOCATED)) throw new Stale(row.id);
        await q.query(
          `update nodes set status = $2, previous_status = status, owner_id = $3, agent_name = $4, status_expires = null, updated = now()
            where id = $1`, [row.id, NodeStatus.ALLOCATED, actor.id, opts.agentName ?? '']);
        await recordEvent(q, {
          nodeId: row.id, hostname: row.hostname, username: actor.username, level: EventLevel.INFO, typeName: 'Allocated',
          description: `Allocated to ${actor.username}${opts.comment ? `: ${opts.comment}` : ''}`, action: 'allocate', status: true,
        });
        return { id: row.id, match };
      });
    } catch (err) {
      if (!(err instanceof Stale)) throw err;
      pool = pool.filter((id) => id !== err.id);
    }
  }
  return null;
}

async function finish(ctx: ServiceContext, id: number, match: HardwareMatch, c: AllocationConstraints, verbose: Allocation['verbose']): Promise<Allocation> {
  const rows = await ctx.db.query<{ system_id: string }>('select system_id from nodes where id = $1', [id]);
  const machine = await loadMachine(ctx.db, rows[0].system_id);
  if (!machine) throw conflict('The allocated machine was deleted before it could be shown.');
  if (!needsHardware(c)) return { machine, constraints: c, storage: {}, interfaces: {}, verbose };
  return { machine, constraints: c, ...match, verbose };
}

/** For `verbose=true`: how every candidate matched, as MAAS's verbose_storage / verbose_interfaces. */
async function verboseMatches(q: Queryable, f: NodeFilter, c: AllocationConstraints): Promise<NonNullable<Allocation['verbose']>> {
  const storage: Record<string, Record<string, string>> = {};
  const interfaces: Record<string, Record<string, number[]>> = Object.fromEntries(c.interfaces.map((l) => [l.label, {}]));
  if (!needsHardware(c)) return { storage, interfaces };
  for (let offset = 0; ; offset += PAGE) {
    const page = await candidates(q, f, `limit ${PAGE} offset ${offset}`);
    if (!page.length) break;
    for (const [nodeId, m] of await matchHardware(q, page, c)) {
      if (c.storage.length) {
        storage[nodeId] = {};
        for (const [label, disks] of Object.entries(m.storage)) for (const d of disks) storage[nodeId][d] = label;
      }
      for (const [label, ids] of Object.entries(m.interfaces)) interfaces[label][nodeId] = ids;
    }
  }
  return { storage, interfaces };
}
