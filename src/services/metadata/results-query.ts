/**
 * Reading script results through the API: a machine's script sets with their results
 * (`nodes/<id>/results/`), one set by id or as `current-<kind>`, and the legacy flat listing
 * (`commissioning-results/`). Visibility is the machine's: admins, its owner, or anyone for unowned ones.
 */
import { badRequest, noMatch } from '../../domain/errors.ts';
import { scriptResultsRepo, scriptSetsRepo, type ScriptResultRow, type ScriptSetKind, type ScriptSetRow } from '../../store/repos/metadata.ts';
import type { Actor, ServiceContext } from '../context.ts';
import { getMachine } from '../machines/access.ts';

export const SET_KINDS: ScriptSetKind[] = ['commissioning', 'installation', 'testing', 'release'];
export interface SetWithResults { set: ScriptSetRow; system_id: string; results: ScriptResultRow[] }

function parseKind(type: string): ScriptSetKind {
  const t = type.trim().toLowerCase();
  const byNumber = /^\d+$/.test(t) ? SET_KINDS[Number(t)] : undefined;
  const kind = byNumber ?? (SET_KINDS as string[]).find((k) => k === t || (t === 'test' && k === 'testing'));
  if (!kind) throw badRequest(`Unknown result type: '${type}'. Use commissioning, installation, testing or release.`);
  return kind as ScriptSetKind;
}

async function withResults(ctx: ServiceContext, sets: Array<ScriptSetRow & { system_id?: string }>, systemId?: string): Promise<SetWithResults[]> {
  const rows = sets.length ? await scriptResultsRepo.forSets(ctx.db, sets.map((s) => s.id)) : [];
  return sets.map((set) => ({ set, system_id: set.system_id ?? systemId ?? '', results: rows.filter((r) => r.script_set_id === set.id) }));
}

export async function machineResults(ctx: ServiceContext, actor: Actor, systemId: string, type?: string): Promise<SetWithResults[]> {
  const m = await getMachine(ctx, actor, systemId);
  const kinds = type ? type.split(',').map(parseKind) : null;
  const sets = (await scriptSetsRepo.forNode(ctx.db, m.id)).filter((s) => !kinds || kinds.includes(s.kind));
  return withResults(ctx, sets, m.system_id);
}

/** One set: a number, or `current-commissioning` / `current-testing` / `current-installation` / `current-release`. */
export async function machineResultSet(ctx: ServiceContext, actor: Actor, systemId: string, id: string): Promise<SetWithResults> {
  const m = await getMachine(ctx, actor, systemId);
  const current = /^current-(\w+)$/.exec(id);
  let set: ScriptSetRow | undefined;
  if (current) set = await scriptSetsRepo.latest(ctx.db, m.id, parseKind(current[1]));
  else if (/^\d{1,9}$/.test(id)) set = await scriptSetsRepo.byId(ctx.db, Number(id));
  if (!set || set.node_id !== m.id) throw noMatch('ScriptSet');
  return (await withResults(ctx, [set], m.system_id))[0];
}

export interface LegacyFilter { system_id?: string[]; name?: string[]; result_type?: string }

/** `commissioning-results/`: every result of the machines the caller can see, flat. */
export async function legacyResults(ctx: ServiceContext, actor: Actor, f: LegacyFilter): Promise<SetWithResults[]> {
  const kinds = f.result_type !== undefined ? [parseKind(f.result_type)] : ['commissioning' as const];
  const sets = await scriptSetsRepo.all(ctx.db, kinds, f.system_id?.length ? f.system_id : null);
  const visible: typeof sets = [];
  const seen = new Map<string, boolean>();
  for (const s of sets) {
    if (!seen.has(s.system_id)) seen.set(s.system_id, await getMachine(ctx, actor, s.system_id).then(() => true, () => false));
    if (seen.get(s.system_id)) visible.push(s);
  }
  const out = await withResults(ctx, visible);
  if (f.name?.length) for (const s of out) s.results = s.results.filter((r) => f.name!.includes(r.name));
  return out;
}
