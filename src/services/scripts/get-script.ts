/**
 * Reading scripts: one by name or id (MAAS's `scripts/{name}` takes either; names are never numbers),
 * built-in or stored, as a ScriptView with its history.
 */
import { noMatch } from '../../domain/errors.ts';
import { scriptsRepo, scriptVersionsRepo, type ScriptRow, type ScriptVersionRow } from '../../store/repos/scripts.ts';
import type { Queryable, ServiceContext } from '../context.ts';
import { builtinById, builtinByName } from './builtins.ts';
import type { ScriptView } from './model.ts';

export function storedView(row: ScriptRow, versions: ScriptVersionRow[]): ScriptView {
  const { created: _c, updated: _u, ...fields } = row;
  return {
    ...fields, tags: row.tags ?? [], for_hardware: row.for_hardware ?? [],
    history: versions.filter((v) => v.script_id === row.id).map((v) => ({ id: v.id, comment: v.comment, created: new Date(v.created), content: v.content })),
  };
}

export async function storedViews(q: Queryable, rows: ScriptRow[]): Promise<ScriptView[]> {
  const versions = rows.length ? await scriptVersionsRepo.forScripts(q, rows.map((r) => r.id)) : [];
  return rows.map((r) => storedView(r, versions));
}

/** The script a path names, with its stored row when it is not built-in; 404 in MAAS's words otherwise. */
export async function findScript(q: Queryable, nameOrId: string): Promise<{ view: ScriptView; row: ScriptRow | null }> {
  const numeric = /^\d{1,9}$/.test(nameOrId);
  const builtin = numeric ? builtinById(Number(nameOrId)) : builtinByName(nameOrId);
  if (builtin) return { view: builtin, row: null };
  const row = numeric ? await scriptsRepo.byId(q, Number(nameOrId)) : await scriptsRepo.byName(q, nameOrId);
  if (!row) throw noMatch('Script');
  return { view: (await storedViews(q, [row]))[0], row };
}

export async function getScript(ctx: ServiceContext, nameOrId: string): Promise<ScriptView> {
  return (await findScript(ctx.db, nameOrId)).view;
}
