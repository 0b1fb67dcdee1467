/** Removing one tag from a custom script (admin); the destructive and hardware-type tags stay, as in MAAS. */
import { badRequest, forbidden } from '../../domain/errors.ts';
import { scriptsRepo } from '../../store/repos/scripts.ts';
import type { Actor, ServiceContext } from '../context.ts';
import { auditScript } from './audit.ts';
import { findScript, storedViews } from './get-script.ts';
import { autoTags, DEFAULT_READ_ONLY, type ScriptView } from './model.ts';

export async function removeScriptTag(ctx: ServiceContext, actor: Actor, nameOrId: string, tag: string): Promise<ScriptView> {
  if (!actor.isAdmin) throw forbidden();
  return ctx.db.tx(async (q) => {
    const found = await findScript(q, nameOrId);
    if (!found.row) throw badRequest(DEFAULT_READ_ONLY);
    const row = (await scriptsRepo.lock(q, found.row.id))!;
    const tags = autoTags(row.tags.filter((x) => x !== tag.trim()), row.destructive, row.hardware_type);
    const saved = (await scriptsRepo.setTags(q, row.id, tags, ctx.now()))!;
    await auditScript(q, actor, `Removed tag '${tag.trim()}' from script '${row.name}'.`);
    return (await storedViews(q, [saved]))[0];
  });
}
