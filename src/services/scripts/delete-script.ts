/** Deleting a custom script (admin) with its history; built-in scripts are refused with MAAS's text. */
import { badRequest, forbidden } from '../../domain/errors.ts';
import { scriptsRepo } from '../../store/repos/scripts.ts';
import type { Actor, ServiceContext } from '../context.ts';
import { auditScript } from './audit.ts';
import { findScript } from './get-script.ts';

export async function deleteScript(ctx: ServiceContext, actor: Actor, nameOrId: string): Promise<void> {
  if (!actor.isAdmin) throw forbidden();
  await ctx.db.tx(async (q) => {
    const found = await findScript(q, nameOrId);
    if (!found.row) throw badRequest('Unable to delete default script');
    await scriptsRepo.delete(q, found.row.id);
    await auditScript(q, actor, `Deleted script '${found.row.name}'.`);
  });
}
