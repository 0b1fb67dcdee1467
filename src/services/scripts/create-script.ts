/** Creating a custom script (admin): fields from the request and the text's embedded metadata; version 1 of its text. */
import { forbidden, invalid } from '../../domain/errors.ts';
import { scriptsRepo, scriptVersionsRepo } from '../../store/repos/scripts.ts';
import type { Actor, ServiceContext } from '../context.ts';
import { auditScript } from './audit.ts';
import { builtinByName } from './builtins.ts';
import { storedViews } from './get-script.ts';
import { resolveScript, type ScriptForm } from './input.ts';
import type { ScriptView } from './model.ts';

export const NAME_TAKEN = 'Script with this Name already exists.';

export async function createScript(ctx: ServiceContext, actor: Actor, form: ScriptForm): Promise<ScriptView> {
  if (!actor.isAdmin) throw forbidden();
  const { fields, content, comment } = resolveScript(form, null);
  return ctx.db.tx(async (q) => {
    if (builtinByName(fields.name) || (await scriptsRepo.byName(q, fields.name))) throw invalid({ name: [NAME_TAKEN] });
    const now = ctx.now();
    const row = await scriptsRepo.insert(q, fields, now);
    await scriptVersionsRepo.insert(q, row.id, content ?? '', comment, now);
    await auditScript(q, actor, `Saved script '${row.name}'.`);
    return (await storedViews(q, [row]))[0];
  });
}
