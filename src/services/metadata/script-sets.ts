/**
 * The script set a machine's results go to: one per run of an action (commissioning, testing, erasing,
 * installation). A set made before the running action started belongs to an earlier run, so the action's
 * first request makes a fresh one.
 */
import { scriptSetsRepo, type ScriptSetKind, type ScriptSetRow } from '../../store/repos/metadata.ts';
import type { Queryable } from '../context.ts';

export async function currentScriptSet(q: Queryable, nodeId: number, kind: ScriptSetKind, actionStarted: Date | null, now: Date): Promise<ScriptSetRow> {
  const latest = await scriptSetsRepo.latest(q, nodeId, kind);
  if (latest && (actionStarted === null || new Date(latest.created).getTime() >= actionStarted.getTime())) return latest;
  // A set no result ever went to (made by a request just before the action's start was recorded, as
  // enlistment's COMMISSIONING signal) is taken over rather than left listed as a run that stayed Pending.
  if (latest && !(await scriptSetsRepo.hasResults(q, latest.id))) return scriptSetsRepo.renew(q, latest.id, now);
  return scriptSetsRepo.insert(q, nodeId, kind, now);
}
