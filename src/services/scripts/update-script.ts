/**
 * Updating a custom script (admin): fields not sent keep their values; a new text that differs from
 * the current one becomes a new version (with `comment`). Built-in scripts cannot be changed.
 */
import { badRequest, forbidden, invalid } from '../../domain/errors.ts';
import { scriptsRepo, scriptVersionsRepo, type ScriptFields } from '../../store/repos/scripts.ts';
import type { Actor, ServiceContext } from '../context.ts';
import { auditScript } from './audit.ts';
import { builtinByName } from './builtins.ts';
import { NAME_TAKEN } from './create-script.ts';
import { findScript, storedViews } from './get-script.ts';
import { resolveScript, type ScriptForm } from './input.ts';
import { DEFAULT_READ_ONLY, type ScriptView } from './model.ts';

export async function updateScript(ctx: ServiceContext, actor: Actor, nameOrId: string, form: ScriptForm): Promise<ScriptView> {
  if (!actor.isAdmin) throw forbidden();
  return ctx.db.tx(async (q) => {
    const found = await findScript(q, nameOrId);
    if (!found.row) throw badRequest(DEFAULT_READ_ONLY);
    const current = (await scriptsRepo.lock(q, found.row.id))!;
    const { id: _id, default: _d, created: _c, updated: _u, ...existing } = current;
    const { fields, content, comment } = resolveScript(form, existing as ScriptFields);
    if (fields.name !== current.name) {
      const other = await scriptsRepo.byName(q, fields.name);
      if (builtinByName(fields.name) || (other && other.id !== current.id)) throw invalid({ name: [NAME_TAKEN] });
    }
    const now = ctx.now();
    const row = await scriptsRepo.update(q, current.id, fields, now);
    const [latest] = await scriptVersionsRepo.forScript(q, current.id);
    if (content !== null && content !== latest?.content) await scriptVersionsRepo.insert(q, current.id, content, comment, now);
    await auditScript(q, actor, `Saved script '${row.name}'.`);
    return (await storedViews(q, [row]))[0];
  });
}
