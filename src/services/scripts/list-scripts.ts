/** Listing scripts (built-in first, then stored, by id), filtered as MAAS's `scripts/` read is. */
import { invalid } from '../../domain/errors.ts';
import { scriptsRepo } from '../../store/repos/scripts.ts';
import type { ServiceContext } from '../context.ts';
import { builtinViews } from './builtins.ts';
import { storedViews } from './get-script.ts';
import { FieldProblem, SCRIPT_TYPE, translateHardwareType, translateScriptType, type ScriptView } from './model.ts';

export interface ScriptFilter { type?: string; hardware_type?: string; filters?: string }

const field = <T>(key: string, parse: () => T): T => {
  try { return parse(); } catch (e) {
    if (e instanceof FieldProblem) throw invalid({ [key]: [e.message] });
    throw e;
  }
};

export async function listScripts(ctx: ServiceContext, f: ScriptFilter): Promise<ScriptView[]> {
  const type = f.type === undefined ? undefined
    : ['release', '3'].includes(f.type.trim().toLowerCase()) ? SCRIPT_TYPE.RELEASE : field('type', () => translateScriptType(f.type));
  const hardware = f.hardware_type === undefined ? undefined : field('hardware_type', () => translateHardwareType(f.hardware_type));
  const names = (f.filters ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  const wanted = names.length ? new Set(names) : null;
  const all = [...builtinViews(), ...(await storedViews(ctx.db, await scriptsRepo.list(ctx.db))).sort((a, b) => a.id - b.id)];
  return all.filter((s) => (type === undefined || s.script_type === type) && (hardware === undefined || s.hardware_type === hardware)
    && (!wanted || wanted.has(s.name) || s.tags.some((t) => wanted.has(t))));
}
