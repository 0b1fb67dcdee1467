/**
 * Bulk jobs (a Plinth addition): one action on every machine a filter selects, run as ONE durable job
 * with progress. The machine list is fixed when the job is created (what the caller could see then);
 * the `bulk` workflow applies the action machine by machine, each in its own transaction, recording
 * which succeeded and why the others were refused. Progress: `machines/?op=bulk_status&id=N`.
 */
import { badRequest, invalid, notFound } from '../../domain/errors.ts';
import type { Actor, ServiceContext } from '../context.ts';
import { listMachineVersions } from '../machines/access.ts';
import type { MachineQuery } from '../machines/filter.ts';
import { checkScriptLists } from './commission.ts';
import { wake } from './machine-tx.ts';
import { CHANGING_ACTIONS, isChangingAction, type ActionParams, type ChangingAction } from './perform.ts';
import { workflowsRepo, type WorkflowRow } from './workflow-store.ts';

export interface BulkJobData {
  action: ChangingAction;
  params: ActionParams;
  actor: Actor;
  machines: string[];
  /** How many machines have been processed (the next one is machines[cursor]). */
  cursor: number;
  succeeded: number;
  failed: Array<{ system_id: string; error: string }>;
}

export async function createBulkJob(ctx: ServiceContext, actor: Actor, action: string, query: MachineQuery, params: ActionParams) {
  if (!isChangingAction(action)) throw invalid({ action: [`Select a valid choice. ${action} is not one of the available choices (${CHANGING_ACTIONS.join(', ')}).`] });
  checkScriptLists(params);
  if (!Object.values(query).some((v) => v !== undefined && (!Array.isArray(v) || v.length)))
    throw badRequest('Give at least one machine filter (for example status=, zone=, tags= or id=): a bulk action never applies to every machine by default.');
  const versions = await listMachineVersions(ctx, actor, query);
  const ids = versions.rows.map((r) => r.id);
  const rows = ids.length
    ? await ctx.db.query<{ system_id: string }>('select system_id from nodes where id = any($1::int[]) order by id', [ids])
    : [];
  const data: BulkJobData = {
    action, params, actor: { id: actor.id, username: actor.username, isAdmin: actor.isAdmin },
    machines: rows.map((r) => r.system_id), cursor: 0, succeeded: 0, failed: [],
  };
  const job = await workflowsRepo.insert(ctx.db, {
    nodeId: null, kind: 'bulk', lane: 'bulk', data: data as unknown as Record<string, unknown>, firstStep: '',
    deadline: null, deadlineStatus: null, createdBy: actor.username, now: ctx.now(),
  });
  wake(ctx);
  return bulkJobView(job);
}

export function bulkJobView(w: WorkflowRow) {
  const d = w.data as unknown as BulkJobData;
  return {
    id: w.id,
    action: d.action,
    state: w.state,
    total: d.machines.length,
    processed: d.cursor,
    succeeded: d.succeeded,
    failed: d.failed,
    machines: d.machines,
    created_by: w.created_by,
    created: w.created.toISOString(),
    finished: w.finished ? w.finished.toISOString() : null,
    error: w.error,
  };
}

/** A job's progress, for its creator or an admin. */
export async function bulkJobStatus(ctx: ServiceContext, actor: Actor, id: number) {
  const w = Number.isSafeInteger(id) ? await workflowsRepo.get(ctx.db, id) : undefined;
  if (!w || w.kind !== 'bulk' || (!actor.isAdmin && w.created_by !== actor.username)) throw notFound(`No bulk job ${id}.`);
  return bulkJobView(w);
}
