/**
 * Releasing: the machine goes back to the pool. Without disk erasing it powers off (RELEASING, 5 minute
 * timeout) and becomes READY; with erasing it boots the ephemeral environment to wipe its disks
 * (DISK_ERASING) first. Either way the owner, OS choice, user data and workload annotations are cleared
 * when it reaches READY (the `release` workflow's last step).
 */
import { forbidden, conflict } from '../../domain/errors.ts';
import { hasPermission, RELEASABLE } from '../../domain/machine/actions.ts';
import { NodeStatus, statusName } from '../../domain/machine/status.ts';
import type { NodeRow } from '../../store/repos/machines.ts';
import { getConfig } from '../config.ts';
import type { Actor, Queryable, ServiceContext } from '../context.ts';
import { revokeNodeKey } from '../metadata/node-key.ts';
import { beginWorkflow, cancelWorkflows, describeActor, planOrThrow, setStatus, wake, withMachine } from './machine-tx.ts';

export interface ReleaseOptions { erase?: boolean; secure_erase?: boolean; quick_erase?: boolean; force?: boolean; comment?: string }

/** Erase settings: what the caller gave, else the region's defaults (enable_disk_erasing_on_release, …). */
async function eraseSettings(q: Queryable, o: ReleaseOptions) {
  const erase = o.erase ?? Boolean(await getConfig(q, 'enable_disk_erasing_on_release'));
  return {
    erase,
    secure_erase: erase && (o.secure_erase ?? Boolean(await getConfig(q, 'disk_erase_with_secure_erase'))),
    quick_erase: erase && (o.quick_erase ?? Boolean(await getConfig(q, 'disk_erase_with_quick_erase'))),
  };
}

/** Starts releasing a locked, releasable machine row. */
async function startRelease(q: Queryable, ctx: ServiceContext, actor: Actor, m: NodeRow, o: ReleaseOptions) {
  const erase = await eraseSettings(q, o);
  await cancelWorkflows(q, ctx, m, `Released by ${actor.username}.`);
  await revokeNodeKey(q, m.id);
  const deadline = await setStatus(q, ctx, m, {
    to: erase.erase ? NodeStatus.DISK_ERASING : NodeStatus.RELEASING, username: actor.username, description: describeActor(actor, o.comment),
  });
  await beginWorkflow(q, ctx, m, { kind: 'release', deadline, createdBy: actor.username, data: { ...erase, force: o.force ?? false } });
}

export async function release(ctx: ServiceContext, actor: Actor, systemId: string, o: ReleaseOptions = {}) {
  await withMachine(ctx, actor, systemId, async (q, m) => {
    const erase = (await eraseSettings(q, o)).erase;
    const plan = planOrThrow('release', m, actor, { erase });
    if (!plan.noop) await startRelease(q, ctx, actor, m, o);
  });
  wake(ctx);
}

/**
 * `machines/?op=release` with repeated `machines` (gomaasapi): all or nothing, in one transaction.
 * Returns the system ids that started releasing (READY ones are left alone).
 */
export async function releaseMany(ctx: ServiceContext, actor: Actor, systemIds: string[], o: ReleaseOptions = {}): Promise<string[]> {
  const wanted = [...new Set(systemIds)];
  const released = await ctx.db.tx(async (q) => {
    const rows = await q.query<NodeRow>(
      'select * from nodes where system_id = any($1::text[]) and node_type = 0 order by id for update', [wanted]);
    const permitted = rows.filter((m) => hasPermission('edit', m, actor));
    if (permitted.length < wanted.length) {
      const ok = new Set(permitted.map((m) => m.system_id));
      throw forbidden(`You don't have the required permission to release the following machine(s): ${wanted.filter((s) => !ok.has(s)).join(', ')}.`);
    }
    const failed = rows.filter((m) => m.status !== NodeStatus.READY && !RELEASABLE.includes(m.status));
    if (failed.length)
      throw conflict(`Machine(s) cannot be released in their current state: ${failed.map((m) => `${m.system_id} ('${statusName(m.status)}')`).join(', ')}.`);
    const out: string[] = [];
    for (const m of rows) {
      if (m.status === NodeStatus.READY) continue;
      await startRelease(q, ctx, actor, m, o);
      out.push(m.system_id);
    }
    return out;
  });
  wake(ctx);
  return released;
}
