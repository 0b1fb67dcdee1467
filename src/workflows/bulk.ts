/**
 * The bulk job workflow: applies one action to each machine of the job's list, a batch per step, each
 * machine in its own transaction (one machine's refusal never undoes another's success). Progress is
 * saved after every batch, so a job resumes where it stopped after a crash; a machine whose outcome
 * was not yet saved may see the action twice, which the actions tolerate (the second is refused or a
 * no-op, and is recorded as such).
 */
import { PlinthError } from '../domain/errors.ts';
import type { BulkJobData } from '../services/lifecycle/bulk-jobs.ts';
import { performAction } from '../services/lifecycle/perform.ts';
import type { WorkflowDef } from './types.ts';

const BATCH = 25;

export const bulkWorkflow: WorkflowDef = {
  kind: 'bulk',
  steps: [{
    name: 'apply', label: 'applying the action to each machine',
    async run(ctx) {
      const d = ctx.data as unknown as BulkJobData;
      const end = Math.min(d.machines.length, d.cursor + BATCH);
      for (; d.cursor < end; d.cursor++) {
        if (ctx.signal.aborted) break;
        const systemId = d.machines[d.cursor];
        try {
          await performAction(ctx.svc, d.actor, systemId, d.action, d.params);
          d.succeeded++;
        } catch (err) {
          if (!(err instanceof PlinthError)) throw err;
          d.failed.push({ system_id: systemId, error: err.message });
        }
      }
      return d.cursor >= d.machines.length ? { done: true } : { wait: ctx.now };
    },
  }],
};
