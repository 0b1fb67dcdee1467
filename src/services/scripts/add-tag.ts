/** Adding one tag to a custom script (admin). */
import { badRequest, forbidden } from '../../domain/errors.ts';
import { scriptsRepo } from '../../store/repos/scripts.ts';
import type { Actor, ServiceContext } from '../context.ts';
import { auditScript } from './audit.ts';
import { findScript, storedViews } from './get-script.ts';
import { autoTags, DEFAULT_READ_ONLY, type ScriptView } from './model.ts';

export async function addScriptTag(ctx: ServiceContext, actor: Actor, nameOrId: string, tag: string): Promise<ScriptView> {
  if (!actor.isAdmin) throw forbidden();
  if (tag.includes(',')) throw badRequest('Tag may not contain a ",".');
  const t = tag.trim();
  if (!t || t.length > 255) throw badRequest('A tag must have 1 to 255 characters.');
  return ctx.db.tx(async (q) => {
    const found = await findScript(q, nameOrId);
    if (!found.row) throw badRequest(DEFAULT_READ_ONLY);
    const row = (await scriptsRepo.lock(q, found.row.id))!;
    const tags = autoTags(row.tags.includes(t) ? row.tags : [...row.tags, t], row.destructive, row.hardware_type);
    const saved = (await scriptsRepo.setTags(q, row.id, tags, ctx.now()))!;
    await auditScript(q, actor, `Added tag '${t}' to script '${row.name}'.`);
    return (await storedViews(q, [saved]))[0];
  });
}
