/**
 * Power actions on one machine: `power_on` (which deploys an ALLOCATED machine, as MAAS does), `power_off`
 * (durable workflows in the machine's power lane) and `query_power_state` (asks the BMC now, through the
 * power port, and stores what it says).
 */
import { invalid, unavailable } from '../../domain/errors.ts';
import { NodeStatus } from '../../domain/machine/status.ts';
import { updateNode } from '../../store/repos/machine-write.ts';
import type { Actor, ServiceContext } from '../context.ts';
import { PowerPortError } from '../ports/power.ts';
import { startDeployment } from './deploy.ts';
import { beginWorkflow, planOrThrow, wake, withMachine } from './machine-tx.ts';

export async function powerOn(ctx: ServiceContext, actor: Actor, systemId: string, o: { user_data?: string; comment?: string } = {}) {
  await withMachine(ctx, actor, systemId, async (q, m) => {
    planOrThrow('power_on', m, actor);
    if (m.status === NodeStatus.ALLOCATED) await startDeployment(q, ctx, actor, m, { user_data: o.user_data, comment: o.comment });
    else await beginWorkflow(q, ctx, m, { kind: 'power_on', lane: 'power', deadline: null, createdBy: actor.username, data: { comment: o.comment ?? '' } });
  });
  wake(ctx);
}

export async function powerOff(ctx: ServiceContext, actor: Actor, systemId: string, o: { stop_mode?: string; comment?: string } = {}) {
  const mode = o.stop_mode ?? 'hard';
  if (mode !== 'soft' && mode !== 'hard') throw invalid({ stop_mode: [`Select a valid choice. ${mode} is not one of the available choices.`] });
  await withMachine(ctx, actor, systemId, async (q, m) => {
    planOrThrow('power_off', m, actor);
    await beginWorkflow(q, ctx, m, { kind: 'power_off', lane: 'power', deadline: null, createdBy: actor.username, data: { off_mode: mode, comment: o.comment ?? '' } });
  });
  wake(ctx);
}

/** Asks the BMC for the power state now; `unknown` for machines whose power cannot be queried. */
export async function queryPowerState(ctx: ServiceContext, actor: Actor, systemId: string): Promise<{ state: string }> {
  const m = await withMachine(ctx, actor, systemId, async (_q, row) => { planOrThrow('query_power_state', row, actor); return row; });
  if (!m.power_type) return { state: m.power_state };
  const port = ctx.power;
  if (!port?.controls(m.power_type)) throw unavailable(`Unable to query power state: no rack controller can drive power type '${m.power_type}'.`);
  if (!port.queryable(m.power_type)) return { state: m.power_state };
  try {
    const r = await port.execute({ powerType: m.power_type, params: m.power_parameters as Record<string, string> }, 'query');
    await updateNode(ctx.db, m.id, { power_state: r.state });
    return { state: r.state };
  } catch (err) {
    if (err instanceof PowerPortError) {
      await updateNode(ctx.db, m.id, { power_state: 'error' });
      throw unavailable(`Unable to query power state: ${err.message}`);
    }
    throw err;
  }
}
