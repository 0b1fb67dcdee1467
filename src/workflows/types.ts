/**
 * What a workflow is: a named list of steps. A step is idempotent — it may run again after a crash, on
 * another region process — and says what happens next. Whatever it changes in the database it changes
 * in `apply`, which runs in the same transaction that advances the workflow, and only if this process
 * still holds the workflow (so a process that lost its lease never overwrites the one that took over).
 */
import type { Queryable, ServiceContext } from '../services/context.ts';
import type { WorkflowRow } from '../services/lifecycle/workflow-store.ts';
import type { NodeRow } from '../store/repos/machines.ts';

export interface StepCtx {
  svc: ServiceContext;
  wf: WorkflowRow;
  /** The machine as it was when the step started (undefined for bulk jobs). */
  machine: NodeRow | undefined;
  /** The workflow's data; a step may change it, and the change is saved with the step's outcome. */
  data: Record<string, unknown>;
  now: Date;
  /** Aborted when the region stops or the lease is lost. */
  signal: AbortSignal;
  /** Saves a progress marker now, under the lease (before a side effect that must not be repeated blindly). */
  mark(patch: Record<string, unknown>): Promise<void>;
  retryDelayMs: number;
}

/** Changes made in the commit transaction; may return a new status deadline (a new status began). */
export type Apply = (q: Queryable, m: NodeRow | undefined) => Promise<{ deadline: Date | null } | void>;

export type StepResult =
  /** Go on with the next step (finishing the workflow after the last one). */
  | { next: true; apply?: Apply }
  /** Stop here: the workflow is complete. */
  | { done: true; apply?: Apply }
  /** Run this step again at `until` ('deadline': when the status times out; a machine's report wakes it sooner). */
  | { wait: Date | 'deadline'; note?: string }
  /** The action failed: the machine goes to the failed status for its current status, with this message. */
  | { fail: string };

export interface StepDef {
  name: string;
  /** What the step is doing, for people ("waiting for the machine to report that its OS is up"). */
  label: string;
  run(ctx: StepCtx): Promise<StepResult>;
}

export interface WorkflowDef {
  kind: string;
  steps: StepDef[];
}
