/**
 * The workflow runner: every region process runs one. It claims due workflows (FOR UPDATE SKIP LOCKED,
 * so processes never take the same one), runs their current step under a lease it heartbeats, and
 * commits the step's outcome only while it still holds the lease. A process that dies leaves leases
 * that expire; any other process (or the same one restarted) then claims the workflow and runs the step
 * again — steps are idempotent. A status that outlives its deadline fails the machine, naming the step.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { EventLevel } from '../domain/events.ts';
import { failureStatus, statusTimeoutMinutes } from '../domain/lifecycle/timeouts.ts';
import { statusName } from '../domain/machine/status.ts';
import type { Queryable, ServiceContext } from '../services/context.ts';
import { machineEvent, nodeTimeoutMinutes, setStatus } from '../services/lifecycle/machine-tx.ts';
import { workflowsRepo, type WorkflowRow } from '../services/lifecycle/workflow-store.ts';
import { updateNode } from '../store/repos/machine-write.ts';
import type { NodeRow } from '../store/repos/machines.ts';
import { powerOffAfterTimeout, WORKFLOWS } from './definitions.ts';
import type { StepResult, WorkflowDef } from './types.ts';

const lockMachine = async (q: Queryable, nodeId: number | null) =>
  nodeId === null ? undefined : (await q.query<NodeRow>('select * from nodes where id = $1 for update', [nodeId]))[0];

export interface RunnerOptions {
  /** This process's name in `workflows.owner` (default host:pid:random). */
  owner?: string;
  /** How long a claim holds without a heartbeat (default 30 s); heartbeats come every third of it. */
  leaseMs?: number;
  /** How often to look for due work when nobody wakes the runner (default 1 s). */
  pollMs?: number;
  /** Steps run at once by this process (default 8). */
  concurrency?: number;
  /** Delay before a step that hit a passing problem (unreachable BMC, …) runs again (default 30 s). */
  retryDelayMs?: number;
  definitions?: Record<string, WorkflowDef>;
  /** The runner's clock (default the service context's): tests move it forward to reach deadlines. */
  now?: () => Date;
}

export class WorkflowRunner {
  readonly owner: string;
  private readonly leaseMs: number;
  private readonly pollMs: number;
  private readonly concurrency: number;
  private readonly retryDelayMs: number;
  private readonly defs: Record<string, WorkflowDef>;
  private readonly now: () => Date;
  private readonly inflight = new Map<number, { done: Promise<void>; abort: AbortController }>();
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> | undefined;
  private again = false;
  private stopping = false;
  private started = false;

  constructor(private readonly svc: ServiceContext, o: RunnerOptions = {}) {
    this.owner = o.owner ?? `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
    this.leaseMs = o.leaseMs ?? 30_000;
    this.pollMs = o.pollMs ?? 1000;
    this.concurrency = o.concurrency ?? 8;
    this.retryDelayMs = o.retryDelayMs ?? 30_000;
    this.defs = o.definitions ?? WORKFLOWS;
    this.now = o.now ?? (() => svc.now());
  }

  /** Starts polling; `wake()` makes it look at once. */
  start(): void {
    this.stopping = false;
    this.started = true;
    const loop = () => {
      this.timer = setTimeout(() => { this.wake(); loop(); }, this.pollMs);
      this.timer.unref?.();
    };
    loop();
    this.wake();
  }

  wake(): void {
    if (this.stopping || !this.started) return;
    if (this.ticking) { this.again = true; return; }
    this.ticking = this.tick().then(() => undefined, (err) => { this.svc.log.error({ err: (err as Error).message }, 'workflow runner tick failed'); })
      .finally(() => { this.ticking = undefined; if (this.again) { this.again = false; this.wake(); } });
  }

  /** One round: claims what is due (up to free capacity) and starts it. Resolves once claimed. */
  async tick(): Promise<number> {
    const free = this.concurrency - this.inflight.size;
    if (this.stopping || free <= 0) return 0;
    const now = this.now();
    const claimed = await workflowsRepo.claimDue(this.svc.db, this.owner, now, new Date(now.getTime() + this.leaseMs), free);
    for (const wf of claimed) {
      const abort = new AbortController();
      const done = this.runOne(wf, abort).catch((err) => this.svc.log.error({ err: (err as Error).message, workflow: wf.id }, 'workflow step failed'))
        .finally(() => { this.inflight.delete(wf.id); if (!this.stopping) this.wake(); });
      this.inflight.set(wf.id, { done, abort });
    }
    return claimed.length;
  }

  /** Runs ticks until nothing is due or in flight (tests drive a runner that was never started this way). */
  async drain(maxRounds = 200): Promise<void> {
    for (let i = 0; i < maxRounds; i++) {
      const n = await this.tick();
      if (!n && !this.inflight.size) return;
      await Promise.all([...this.inflight.values()].map((x) => x.done));
    }
  }

  /** Stops claiming, cancels running steps, gives their leases back; resolves when all are settled. */
  async stop(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.timer);
    await this.ticking;
    for (const x of this.inflight.values()) x.abort.abort();
    await Promise.allSettled([...this.inflight.values()].map((x) => x.done));
  }

  private def(wf: WorkflowRow): WorkflowDef | undefined { return this.defs[wf.kind]; }

  /**
   * The index of the workflow's current step. A workflow saved under an older definition of its kind (a
   * step added or removed since: a region upgraded in the middle of an action) resumes at the step whose
   * name it saved; the first step has no saved name.
   */
  private stepIndex(wf: WorkflowRow): number {
    const steps = this.def(wf)?.steps;
    if (!steps || !wf.step_name || steps[wf.step]?.name === wf.step_name) return wf.step;
    const i = steps.findIndex((s) => s.name === wf.step_name);
    return i < 0 ? wf.step : i;
  }

  private async runOne(wf: WorkflowRow, abort: AbortController): Promise<void> {
    const def = this.def(wf);
    const now = this.now();
    if (!def) return this.commit(wf, { fail: `Unknown workflow kind '${wf.kind}'.` });
    if (wf.deadline && now >= wf.deadline) return this.timeout(wf);
    const machine = wf.node_id === null ? undefined
      : (await this.svc.db.query<NodeRow>('select * from nodes where id = $1', [wf.node_id]))[0];
    const at = this.stepIndex(wf);
    const step = def.steps[at];
    if (!step) return this.commit(wf, { done: true });
    const data = structuredClone(wf.data);
    const beat = setInterval(() => {
      workflowsRepo.heartbeat(this.svc.db, wf.id, this.owner, new Date(this.now().getTime() + this.leaseMs))
        .then((held) => { if (!held) abort.abort(); }, () => undefined);
    }, Math.max(50, Math.floor(this.leaseMs / 3)));
    let result: StepResult;
    try {
      result = await step.run({
        svc: this.svc, wf: at === wf.step ? wf : { ...wf, step: at }, machine, data, now, signal: abort.signal, retryDelayMs: this.retryDelayMs,
        mark: async (patch) => { Object.assign(data, patch); await workflowsRepo.setData(this.svc.db, wf.id, data, this.now()); },
      });
    } catch (err) {
      clearInterval(beat);
      if (this.stopping || abort.signal.aborted) { await workflowsRepo.release(this.svc.db, wf.id, this.owner); return; }
      this.svc.log.warn({ workflow: wf.id, step: step.name, err: (err as Error).message }, 'workflow step threw; retrying later');
      const backoff = Math.min(this.retryDelayMs, 1000 * 2 ** Math.min(10, wf.claims));
      return this.commit(wf, { wait: new Date(this.now().getTime() + backoff) }, data);
    }
    clearInterval(beat);
    return this.commit(wf, result, data);
  }

  /** Applies a step's outcome in one transaction, if this process still holds the workflow. */
  private async commit(wf: WorkflowRow, r: StepResult, data: Record<string, unknown> = wf.data): Promise<void> {
    const def = this.def(wf);
    await this.svc.db.tx(async (q) => {
      // Lock order everywhere: the machine, then its workflow (as the API's use cases do).
      const m = await lockMachine(q, wf.node_id);
      const row = await workflowsRepo.lockOwned(q, wf.id, this.owner);
      if (!row) return; // cancelled, or another process took over: its outcome wins
      const now = this.now();
      if (row.lane === 'lifecycle' && m && row.deadline_status !== null && m.status !== row.deadline_status) {
        await workflowsRepo.finish(q, row.id, 'failed', `The machine left ${statusName(row.deadline_status)} (now ${statusName(m.status)}).`, data, now);
        return;
      }
      if ('fail' in r) return this.failInTx(q, row, m, r.fail, data);
      const at = this.stepIndex(row);
      if ('wait' in r) {
        // A report that arrived while the step ran (after the claim read the row it looked at) would
        // otherwise sleep until the deadline: look again at once.
        const missed = r.wait === 'deadline' && (row.reports?.length ?? 0) > (wf.reports?.length ?? 0);
        const until = missed ? now : r.wait === 'deadline' ? row.deadline ?? new Date(now.getTime() + 3600_000) : r.wait;
        await workflowsRepo.reschedule(q, row.id, { step: at, stepName: def?.steps[at]?.name ?? `step ${at}`, runAfter: until, data, now });
        return;
      }
      const changed = r.apply ? await r.apply(q, m) : undefined;
      if (changed) {
        await q.query('update workflows set deadline = $2, deadline_status = $3 where id = $1', [row.id, changed.deadline, m?.status ?? null]);
        row.deadline_status = m?.status ?? null;
      }
      const nextStep = at + 1;
      if ('done' in r || !def || nextStep >= def.steps.length) {
        await workflowsRepo.finish(q, row.id, 'done', '', data, now);
        return;
      }
      await workflowsRepo.reschedule(q, row.id, { step: nextStep, stepName: def.steps[nextStep].name, runAfter: now, data, now });
    });
  }

  /** The workflow failed: a lifecycle action moves the machine to its failed status; a power command records why. */
  private async failInTx(q: Queryable, row: WorkflowRow, m: NodeRow | undefined, message: string, data: Record<string, unknown>) {
    const now = this.now();
    await workflowsRepo.finish(q, row.id, 'failed', message, data, now);
    if (!m) return;
    const failed = row.lane === 'lifecycle' ? failureStatus(m.status) : undefined;
    if (failed === undefined) {
      if (row.lane === 'power') await updateNode(q, m.id, { power_state: 'error' });
      await machineEvent(q, m, 'Action failed', message, '', EventLevel.ERROR);
      return;
    }
    // previous_status stays the status before the failed one began (override_failed_testing goes back to it).
    await setStatus(q, this.svc, m, { to: failed, username: '', description: message, level: EventLevel.ERROR,
      patch: { error_description: message, previous_status: m.previous_status } });
  }

  /** The machine's status outlived its deadline: fail it, naming the step that stalled, and power it off. */
  private async timeout(wf: WorkflowRow): Promise<void> {
    const step = this.def(wf)?.steps[this.stepIndex(wf)];
    await this.svc.db.tx(async (q) => {
      const m = await lockMachine(q, wf.node_id);
      const row = await workflowsRepo.lockOwned(q, wf.id, this.owner);
      if (!row) return;
      const minutes = row.deadline_status === null ? null : statusTimeoutMinutes(row.deadline_status, await nodeTimeoutMinutes(q));
      const stalled = step ? `step '${step.name}' (${step.label})` : `step ${row.step}`;
      const message = `Timed out${minutes ? ` after ${minutes} minute${minutes === 1 ? '' : 's'}` : ''} in ${stalled}.`;
      await this.failInTx(q, row, m, message, row.data);
      if (m && row.lane === 'lifecycle') await powerOffAfterTimeout(this.svc)(q, m);
    });
    this.svc.wakeWorkflows?.();
  }
}
