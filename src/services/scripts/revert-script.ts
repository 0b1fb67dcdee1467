/**
 * Reverting a custom script (admin) to an earlier version: `to` is a version id from its history, or
 * a negative number of versions to go back (0 changes nothing). The versions after it are removed.
 */
import { badRequest, forbidden } from '../../domain/errors.ts';
import { scriptsRepo, scriptVersionsRepo } from '../../store/repos/scripts.ts';
import type { Actor, ServiceContext } from '../context.ts';
import { auditScript } from './audit.ts';
import { findScript, storedViews } from './get-script.ts';
import type { ScriptView } from './model.ts';

export async function revertScript(ctx: ServiceContext, actor: Actor, nameOrId: string, to: number): Promise<ScriptView> {
  if (!actor.isAdmin) throw forbidden();
  return ctx.db.tx(async (q) => {
    const found = await findScript(q, nameOrId);
    if (!found.row) throw badRequest('Unable to revert default script');
    await scriptsRepo.lock(q, found.row.id);
    const history = await scriptVersionsRepo.forScript(q, found.row.id);
    if (to === 0) return found.view;
    let target: number;
    if (to < 0) {
      if (-to >= history.length) throw badRequest('Goes too far back.');
      target = history[-to].id;
    } else {
      if (!history.some((v) => v.id === to)) throw badRequest(`${to} not found in history`);
      target = to;
    }
    await scriptVersionsRepo.deleteAfter(q, found.row.id, target);
    const row = (await scriptsRepo.touch(q, found.row.id, ctx.now()))!;
    await auditScript(q, actor, `Reverted script '${row.name}' to revision '${to}'.`);
    return (await storedViews(q, [row]))[0];
  });
}
