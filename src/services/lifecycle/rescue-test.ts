/**
 * Testing and rescue mode. Both boot the ephemeral environment: `test` runs the selected tests (TESTING)
 * and goes back to where it started (or READY, for statuses testing resets); `rescue_mode` waits for the
 * rescue environment (ENTERING_RESCUE_MODE → RESCUE_MODE); `exit_rescue_mode` returns the machine to the
 * status it had before rescue (EXITING_RESCUE_MODE, 5 minute timeout).
 */
import { afterTesting } from '../../domain/machine/actions.ts';
import { NodeStatus as S } from '../../domain/machine/status.ts';
import type { Actor, ServiceContext } from '../context.ts';
import { checkScriptLists, scriptList } from './commission.ts';
import { beginWorkflow, cancelWorkflows, describeActor, planOrThrow, setStatus, wake, withMachine } from './machine-tx.ts';

export interface TestOptions { enable_ssh?: boolean; testing_scripts?: string; comment?: string }

export async function test(ctx: ServiceContext, actor: Actor, systemId: string, o: TestOptions = {}) {
  checkScriptLists(o);
  await withMachine(ctx, actor, systemId, async (q, m) => {
    planOrThrow('test', m, actor);
    const from = m.status;
    const deadline = await setStatus(q, ctx, m, { to: S.TESTING, username: actor.username, description: describeActor(actor, o.comment) });
    await beginWorkflow(q, ctx, m, {
      kind: 'test', deadline, createdBy: actor.username,
      data: { testing_scripts: scriptList(o.testing_scripts), enable_ssh: o.enable_ssh ?? false, from, return_to: afterTesting(from) },
    });
  });
  wake(ctx);
}

const RESCUE_STATUSES: number[] = [S.RESCUE_MODE, S.ENTERING_RESCUE_MODE, S.EXITING_RESCUE_MODE,
  S.FAILED_ENTERING_RESCUE_MODE, S.FAILED_EXITING_RESCUE_MODE];

export async function rescueMode(ctx: ServiceContext, actor: Actor, systemId: string, comment?: string) {
  await withMachine(ctx, actor, systemId, async (q, m) => {
    planOrThrow('rescue_mode', m, actor);
    // Re-entering after a failed exit keeps the status the machine had before its first rescue.
    const earlier = RESCUE_STATUSES.includes(m.status) ? await rescueReturnTo(q, m.id, m.previous_status) : m.status;
    const deadline = await setStatus(q, ctx, m, { to: S.ENTERING_RESCUE_MODE, username: actor.username, description: describeActor(actor, comment) });
    await beginWorkflow(q, ctx, m, { kind: 'rescue', deadline, createdBy: actor.username, data: { return_to: earlier } });
  });
  wake(ctx);
}

/** Where leaving rescue mode goes: what the latest rescue started from. */
async function rescueReturnTo(q: import('../context.ts').Queryable, nodeId: number, previous: number): Promise<number> {
  const [w] = await q.query<{ data: { return_to?: number } }>(
    "select data from workflows where node_id = $1 and kind = 'rescue' order by id desc limit 1", [nodeId]);
  if (typeof w?.data.return_to === 'number') return w.data.return_to;
  return RESCUE_STATUSES.includes(previous) ? S.READY : previous;
}

export async function exitRescueMode(ctx: ServiceContext, actor: Actor, systemId: string, comment?: string) {
  await withMachine(ctx, actor, systemId, async (q, m) => {
    planOrThrow('exit_rescue_mode', m, actor);
    const returnTo = await rescueReturnTo(q, m.id, m.previous_status);
    await cancelWorkflows(q, ctx, m, `Leaving rescue mode (${actor.username}).`);
    const deadline = await setStatus(q, ctx, m, { to: S.EXITING_RESCUE_MODE, username: actor.username, description: describeActor(actor, comment) });
    await beginWorkflow(q, ctx, m, { kind: 'exit_rescue', deadline, createdBy: actor.username, data: { return_to: returnTo } });
  });
  wake(ctx);
}
