/**
 * The runner's report race, forced: a machine's report lands while a step that waits for reports is
 * running (after the claim read the row the step looks at). The step, seeing the stale row, asks to
 * wait until the deadline; the runner must notice the newer report when it commits and run the step
 * again at once, not park the workflow until its deadline (a lost wake-up: the crash test found it by
 * timing, as a machine that commissioned but stayed in Commissioning for the whole timeout).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { workflowsRepo } from '../../src/services/lifecycle/workflow-store.ts';
import { awaitReport } from '../../src/workflows/steps.ts';
import type { StepCtx, WorkflowDef } from '../../src/workflows/types.ts';
import { WorkflowRunner } from '../../src/workflows/runner.ts';
import { BACKENDS } from '../helpers/backends.ts';
import { startLifecycleRegion, type LifecycleRegion } from './helpers.ts';

const HOUR = 3600_000;

for (const kind of BACKENDS) {
  describe(`workflow runner: a report during a waiting step (${kind})`, () => {
    let r: LifecycleRegion;
    before(async () => { r = await startLifecycleRegion(kind); });
    after(async () => { await r?.close(); });

    /** A one-step workflow that waits for 'done'; `during` runs inside the step, before it reads. */
    const race = (during: (ctx: StepCtx) => Promise<void>): WorkflowDef => {
      const wait = awaitReport('await_done', 'waiting for the done report', ['done']);
      return { kind: 'race', steps: [{ ...wait, async run(ctx) { await during(ctx); return wait.run(ctx); } }] };
    };
    const insert = () => workflowsRepo.insert(r.svc.db, {
      nodeId: null, kind: 'race', lane: 'bulk', data: {}, firstStep: 'await_done',
      deadline: new Date(r.clock.now().getTime() + HOUR), deadlineStatus: null, createdBy: 'test', now: r.clock.now(),
    });

    test('the report that arrived mid-step is read on the next run, not at the deadline', async () => {
      let runs = 0;
      const wf = await insert();
      const runner = new WorkflowRunner(r.svc, {
        leaseMs: 5000, now: r.clock.now,
        definitions: {
          race: race(async () => {
            // The machine's report, recorded as the metadata service records it, while this step runs.
            if (runs++ === 0) await workflowsRepo.addReport(r.svc.db, wf.id, { kind: 'done', at: r.clock.now().toISOString() }, r.clock.now(), null);
          }),
        },
      });
      await runner.drain();
      const row = await workflowsRepo.get(r.svc.db, wf.id);
      assert.equal(runs, 2, 'the step ran again at once');
      assert.equal(row.state, 'done');
      await runner.stop();
    });

    test('with no new report the step still sleeps until its deadline', async () => {
      let runs = 0;
      const wf = await insert();
      const runner = new WorkflowRunner(r.svc, { leaseMs: 5000, now: r.clock.now, definitions: { race: race(async () => { runs++; }) } });
      await runner.drain();
      const row = await workflowsRepo.get(r.svc.db, wf.id);
      assert.equal(runs, 1);
      assert.equal(row.state, 'running');
      assert.equal(row.run_after.getTime(), row.deadline?.getTime(), 'parked until the deadline');
      await runner.stop();
    });
  });
}
