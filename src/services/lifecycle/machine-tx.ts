/**
 * The shape every lifecycle use case shares: lock the machine row in a transaction, check the caller may
 * see it and may do the action from its status (domain/machine/actions.ts), change the status with an
 * event, and start the workflow that carries the action out — all in one transaction, so a refused or
 * failed request writes nothing.
 */
import { EventLevel } from '../../domain/events.ts';
import { conflict, forbidden, noMatch, PlinthError } from '../../domain/errors.ts';
import { isRefusal, planAction, type MachineAction, type Plan } from '../../domain/machine/actions.ts';
import { statusName } from '../../domain/machine/status.ts';
import { statusDeadline } from '../../domain/lifecycle/timeouts.ts';
import { updateNode, type NodePatch } from '../../store/repos/machine-write.ts';
import { nodesRepo, type NodeRow } from '../../store/repos/machines.ts';
import { getConfig } from '../config.ts';
import type { Actor, Queryable, ServiceContext } from '../context.ts';
import { recordEvent } from '../events.ts';
import { workflowsRepo, type Lane, type WorkflowRow } from './workflow-store.ts';

/** Runs fn on the machine's row, locked, in one transaction; 404 when the caller may not see it. */
export async function withMachine<T>(ctx: ServiceContext, actor: Actor | null, systemId: string,
  fn: (q: Queryable, m: NodeRow) => Promise<T>): Promise<T> {
  return ctx.db.tx(async (q) => {
    const m = await nodesRepo.bySystemId(q, systemId, true);
    if (!m || m.node_type !== 0) throw noMatch('Machine');
    if (actor && !actor.isAdmin && m.owner_id !== null && m.owner_id !== actor.id) throw noMatch('Machine');
    return fn(q, m);
  });
}

/** The domain's plan for the action, or the refusal as the API error MAAS gives. */
export function planOrThrow(action: MachineAction, m: NodeRow, actor: Actor, opts: { erase?: boolean } = {}): Plan {
  const plan = planAction(action, m, { id: actor.id, isAdmin: actor.isAdmin }, opts);
  if (isRefusal(plan)) throw plan.refused === 'forbidden' ? forbidden(plan.message) : conflict(plan.message);
  return plan;
}

export async function nodeTimeoutMinutes(q: Queryable): Promise<number> {
  return Number(await getConfig(q, 'node_timeout'));
}

export interface StatusChange {
  to: number;
  description: string;
  username: string;
  /** Event type; the new status's name unless given. */
  typeName?: string;
  level?: number;
  patch?: NodePatch;
}

/**
 * Moves the machine to a status (remembering the one it leaves as previous_status), sets or clears its
 * status timeout, and records the status event that becomes its status_message. Returns the deadline.
 */
export async function setStatus(q: Queryable, ctx: ServiceContext, m: NodeRow, c: StatusChange): Promise<Date | null> {
  const now = ctx.now();
  const deadline = statusDeadline(c.to, await nodeTimeoutMinutes(q), now);
  const patch: NodePatch = { ...c.patch, status: c.to, status_expires: deadline };
  if (c.to !== m.status && c.patch?.previous_status === undefined) patch.previous_status = m.status;
  await updateNode(q, m.id, patch);
  await recordEvent(q, {
    nodeId: m.id, hostname: m.hostname, username: c.username, level: c.level ?? EventLevel.INFO,
    typeName: c.typeName ?? statusName(c.to), description: c.description, status: true,
  });
  m.previous_status = patch.previous_status ?? m.previous_status;
  m.status = c.to;
  return deadline;
}

/** A plain (non-status) event on the machine. */
export function machineEvent(q: Queryable, m: NodeRow, typeName: string, description: string, username = '', level: number = EventLevel.INFO) {
  return recordEvent(q, { nodeId: m.id, hostname: m.hostname, username, level, typeName, description });
}

/**
 * Starts a workflow for the machine. A new lifecycle workflow supersedes whatever lifecycle or power
 * workflow was running for it (the user's latest action wins); a power workflow supersedes a power one.
 */
export async function beginWorkflow(q: Queryable, ctx: ServiceContext, m: NodeRow, w: {
  kind: string; lane?: Lane; data?: Record<string, unknown>; deadline: Date | null; createdBy: string;
}): Promise<WorkflowRow> {
  const lane = w.lane ?? 'lifecycle';
  const now = ctx.now();
  await workflowsRepo.cancel(q, m.id, lane === 'lifecycle' ? ['lifecycle', 'power'] : [lane], `Superseded by ${w.kind}.`, now);
  return workflowsRepo.insert(q, {
    nodeId: m.id, kind: w.kind, lane, data: w.data ?? {}, firstStep: '', deadline: w.deadline,
    deadlineStatus: w.deadline ? m.status : null, createdBy: w.createdBy, now,
  });
}

/** Stops the machine's running workflows (abort, mark broken, release mid-deploy…). */
export function cancelWorkflows(q: Queryable, ctx: ServiceContext, m: NodeRow, reason: string, lanes: Lane[] = ['lifecycle', 'power']) {
  return workflowsRepo.cancel(q, m.id, lanes, reason, ctx.now());
}

/** Tells the local runner there is work (after the transaction that created it committed). */
export function wake(ctx: ServiceContext) {
  ctx.wakeWorkflows?.();
}

export const describeActor = (actor: Actor | null, comment?: string) => {
  const who = actor ? `by ${actor.username}` : 'by the machine';
  return comment ? `${comment} (${who})` : `Requested ${who}`;
};

export { PlinthError };
