/**
 * `netboot_off` / `netboot_on`. The installer turns network boot off when it has written the disk
 * (curtin's late command): for a deploying machine that is its `installed` report; otherwise the flag is
 * just set, with MAAS's event.
 */
import { NodeStatus as S } from '../../domain/machine/status.ts';
import { updateNode } from '../../store/repos/machine-write.ts';
import { nodesRepo } from '../../store/repos/machines.ts';
import { noMatch } from '../../domain/errors.ts';
import type { ServiceContext } from '../context.ts';
import { machineEvent } from '../lifecycle/machine-tx.ts';
import { machineReported } from '../lifecycle/reported.ts';

export async function setNetboot(ctx: ServiceContext, systemId: string, on: boolean): Promise<void> {
  const deploying = await ctx.db.tx(async (q) => {
    const m = await nodesRepo.bySystemId(q, systemId, true);
    if (!m) throw noMatch('Node');
    if (!on && m.status === S.DEPLOYING && m.node_type === 0) return true;
    await updateNode(q, m.id, { netboot: on });
    if (!on) await machineEvent(q, m, 'Node installation finished', 'Network boot turned off');
    return false;
  });
  if (deploying) await machineReported(ctx, systemId, { kind: 'installed' });
}
