/**
 * The short actions: abort, mark broken / fixed, override failed testing, lock / unlock. Each is one
 * transaction on the machine row; abort and mark broken also stop the running workflow and, when the
 * machine was booted for it, power it off (a `power_off` workflow).
 */
import { NodeStatus as S, statusName } from '../../domain/machine/status.ts';
import { updateNode } from '../../store/repos/machine-write.ts';
import type { NodeRow } from '../../store/repos/machines.ts';
import type { Actor, Queryable, ServiceContext } from '../context.ts';
import { beginWorkflow, cancelWorkflows, describeActor, machineEvent, planOrThrow, setStatus, wake, withMachine } from './machine-tx.ts';

const ABORTED: Record<number, string> = {
  [S.COMMISSIONING]: 'Aborted commissioning', [S.DEPLOYING]: 'Aborted deployment',
  [S.TESTING]: 'Aborted testing', [S.DISK_ERASING]: 'Aborted disk erasing',
};

/** Powers the machine off through a durable `power_off` workflow. */
export function powerOffLater(q: Queryable, ctx: ServiceContext, m: NodeRow, by: string) {
  return beginWorkflow(q, ctx, m, { kind: 'power_off', lane: 'power', deadline: null, createdBy: by });
}

export async function abort(ctx: ServiceContext, actor: Actor, systemId: string, comment?: string) {
  await withMachine(ctx, actor, systemId, async (q, m) => {
    const plan = planOrThrow('abort', m, actor);
    const from = m.status;
    await cancelWorkflows(q, ctx, m, `Aborted by ${actor.username}.`);
    await setStatus(q, ctx, m, { to: plan.to, typeName: ABORTED[from], username: actor.username, description: describeActor(actor, comment) });
    await powerOffLater(q, ctx, m, actor.username);
  });
  wake(ctx);
}

export async function markBroken(ctx: ServiceContext, actor: Actor, systemId: string, comment?: string) {
  await withMachine(ctx, actor, systemId, async (q, m) => {
    planOrThrow('mark_broken', m, actor);
    const stopped = await cancelWorkflows(q, ctx, m, `Marked broken by ${actor.username}.`);
    await setStatus(q, ctx, m, {
      to: S.BROKEN, username: actor.username, description: describeActor(actor, comment), patch: { error_description: comment ?? '' },
    });
    if (stopped.some((w) => w.kind !== 'power_off')) await powerOffLater(q, ctx, m, actor.username);
  });
  wake(ctx);
}

export async function markFixed(ctx: ServiceContext, actor: Actor, systemId: string, comment?: string) {
  await withMachine(ctx, actor, systemId, async (q, m) => {
    const plan = planOrThrow('mark_fixed', m, actor);
    const ready = plan.to === S.READY;
    await setStatus(q, ctx, m, {
      to: plan.to, typeName: 'Marked fixed', username: actor.username, description: describeActor(actor, comment),
      patch: ready ? { error_description: '', owner_id: null, osystem: '', distro_series: '', hwe_kernel: null } : { error_description: '' },
    });
  });
}

export async function overrideFailedTesting(ctx: ServiceContext, actor: Actor, systemId: string, comment?: string) {
  await withMachine(ctx, actor, systemId, async (q, m) => {
    const plan = planOrThrow('override_failed_testing', m, actor);
    await setStatus(q, ctx, m, {
      to: plan.to, typeName: 'Overrode failed testing', username: actor.username, description: describeActor(actor, comment),
    });
  });
}

export async function setLocked(ctx: ServiceContext, actor: Actor, systemId: string, locked: boolean, comment?: string) {
  await withMachine(ctx, actor, systemId, async (q, m) => {
    planOrThrow(locked ? 'lock' : 'unlock', m, actor);
    await updateNode(q, m.id, { locked });
    await machineEvent(q, m, locked ? 'Locked' : 'Unlocked', `${describeActor(actor, comment)}; status ${statusName(m.status)}`, actor.username);
  });
}
