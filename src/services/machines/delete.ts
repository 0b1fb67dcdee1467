import { conflict } from '../../domain/errors.ts';
import { NodeStatus } from '../../domain/machine/status.ts';
import { nodesRepo, type MachineRecord } from '../../store/repos/machines.ts';
import type { Actor, ServiceContext } from '../context.ts';
import { assertCanEdit } from './access.ts';

/** Deleting a machine. Locked or deployed machines need force (a deployed OS would be orphaned). */
export async function deleteMachine(ctx: ServiceContext, actor: Actor, m: MachineRecord, force = false) {
  assertCanEdit(actor, m);
  if (m.locked && !force) throw conflict(`Cannot delete machine ${m.system_id}: it is locked.`);
  if (!force && (m.status === NodeStatus.DEPLOYED || m.status === NodeStatus.DEPLOYING))
    throw conflict(`Cannot delete machine ${m.system_id} while it is ${m.status === NodeStatus.DEPLOYED ? 'Deployed' : 'Deploying'}: release it first, or pass force=true.`);
  await nodesRepo.delete(ctx.db, m.id);
  ctx.log.info({ system_id: m.system_id, by: actor.username }, 'machine deleted');
}
