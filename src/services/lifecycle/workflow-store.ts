/**
 * Workflow rows (migration 005): creating, cancelling, claiming, heartbeating and committing them.
 * Every time comes from the caller (the service context's clock), never from the database's now(), so a
 * test can drive timeouts with an injected clock and every region judges leases by the same rule.
 */
import type { Queryable } from '../context.ts';

export type WorkflowState = 'running' | 'done' | 'failed' | 'cancelled';
export type Lane = 'lifecycle' | 'power' | 'bulk';

export interface Report { kind: string; message?: string; at: string }

export interface WorkflowRow {
  id: number; node_id: number | null; kind: string; lane: Lane; state: WorkflowState; step: number; step_name: string;
  data: Record<string, unknown>; reports: Report[]; run_after: Date; deadline: Date | null; deadline_status: number | null;
  owner: string | null; lease_until: Date | null; claims: number; error: string; created_by: string;
  created: Date; updated: Date; finished: Date | null;
}

export interface NewWorkflow {
  nodeId: number | null; kind: string; lane: Lane; data: Record<string, unknown>; firstStep: string;
  deadline: Date | null; deadlineStatus: number | null; createdBy: string; now: Date;
}

export const workflowsRepo = {
  insert: async (q: Queryable, w: NewWorkflow) =>
    (await q.query<WorkflowRow>(
      `insert into workflows (node_id, kind, lane, data, step_name, run_after, deadline, deadline_status, created_by, created, updated)
       values ($1, $2, $3, $4::jsonb, $5, $6, $7, $8, $9, $6, $6) returning *`,
      [w.nodeId, w.kind, w.lane, JSON.stringify(w.data), w.firstStep, w.now, w.deadline, w.deadlineStatus, w.createdBy],
    ))[0],

  get: async (q: Queryable, id: number) => (await q.query<WorkflowRow>('select * from workflows where id = $1', [id]))[0],

  /** The running workflow of a machine in a lane, locked for the caller's transaction. */
  active: async (q: Queryable, nodeId: number, lane: Lane) =>
    (await q.query<WorkflowRow>("select * from workflows where node_id = $1 and lane = $2 and state = 'running' for update", [nodeId, lane]))[0],

  /** Stops a machine's running workflows in the given lanes (a running step's result is then discarded). */
  cancel: (q: Queryable, nodeId: number, lanes: Lane[], reason: string, now: Date) =>
    q.query<{ id: number; kind: string }>(
      `update workflows set state = 'cancelled', error = $3, finished = $4, updated = $4, owner = null, lease_until = null
        where node_id = $1 and lane = any($2::text[]) and state = 'running' returning id, kind`,
      [nodeId, lanes, reason, now],
    ),

  /**
   * Claims up to `limit` workflows that are due and not held by a live lease: FOR UPDATE SKIP LOCKED, so
   * several region processes claiming at once never take the same row.
   */
  claimDue: (q: Queryable, owner: string, now: Date, leaseUntil: Date, limit: number) =>
    q.query<WorkflowRow>(
      `update workflows set owner = $1, lease_until = $3, claims = claims + 1
        where id in (select id from workflows
                      where state = 'running' and run_after <= $2 and (lease_until is null or lease_until < $2)
                      order by run_after, id limit $4 for update skip locked)
       returning *`,
      [owner, now, leaseUntil, limit],
    ),

  /** Extends the caller's lease; false when the caller no longer holds it. */
  heartbeat: async (q: Queryable, id: number, owner: string, leaseUntil: Date) =>
    (await q.query("update workflows set lease_until = $3 where id = $1 and owner = $2 and state = 'running' returning id", [id, owner, leaseUntil])).length > 0,

  /** The row locked for a commit, only if the caller still holds it and it still runs. */
  lockOwned: async (q: Queryable, id: number, owner: string) =>
    (await q.query<WorkflowRow>("select * from workflows where id = $1 and owner = $2 and state = 'running' for update", [id, owner]))[0],

  /** Moves to another step (or parks on the same one) and gives up the lease. */
  reschedule: (q: Queryable, id: number, p: { step: number; stepName: string; runAfter: Date; data: Record<string, unknown>; now: Date }) =>
    q.query(
      `update workflows set step = $2, step_name = $3, run_after = $4, data = $5::jsonb, owner = null, lease_until = null, updated = $6
        where id = $1`,
      [id, p.step, p.stepName, p.runAfter, JSON.stringify(p.data), p.now],
    ),

  finish: (q: Queryable, id: number, state: 'done' | 'failed', error: string, data: Record<string, unknown>, now: Date) =>
    q.query(
      `update workflows set state = $2, error = $3, data = $4::jsonb, finished = $5, updated = $5, owner = null, lease_until = null
        where id = $1`,
      [id, state, error, JSON.stringify(data), now],
    ),

  /** Gives a lease back without changing anything (a region stopping mid-step). */
  release: (q: Queryable, id: number, owner: string) =>
    q.query('update workflows set owner = null, lease_until = null where id = $1 and owner = $2', [id, owner]),

  /** Records a machine's report on its running workflow and makes the workflow due now. */
  addReport: (q: Queryable, id: number, report: Report, now: Date, deadline: Date | null) =>
    q.query(
      `update workflows set reports = reports || $2::jsonb, run_after = least(run_after, $3), deadline = coalesce($4, deadline)
        where id = $1`,
      [id, JSON.stringify([report]), now, deadline],
    ),

  /** Changes a running workflow's data (e.g. a bulk job's progress) under the caller's lease. */
  setData: (q: Queryable, id: number, data: Record<string, unknown>, now: Date) =>
    q.query('update workflows set data = $2::jsonb, updated = $3 where id = $1', [id, JSON.stringify(data), now]),
};
