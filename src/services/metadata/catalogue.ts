/**
 * The scripts the ephemeral environment runs, as the commissioning module publishes them, and which of
 * them a machine runs now: its status picks the kind, the action's choices (workflow data) pick names
 * or tags within it.
 */
import { NodeStatus as S } from '../../domain/machine/status.ts';
import type { ScriptSetKind } from '../../store/repos/metadata.ts';
import type { Queryable } from '../context.ts';
import { matchesHardware, type HardwareIds } from '../scripts/hardware-match.ts';
import { storedRunnable, type RunnableScript } from '../scripts/runnable.ts';
import { SHIPPED_SCRIPTS } from '../scripts/shipped.ts';

/** A built-in script, or a stored one (services/scripts) with its newest text. */
export type Script = RunnableScript;

export const allScripts = async (q: Queryable): Promise<readonly Script[]> => [...SHIPPED_SCRIPTS, ...(await storedRunnable(q))];
export const scriptNamed = async (q: Queryable, name: string) => (await allScripts(q)).find((s) => s.name === name);

/** The set kind a machine in this status writes its results to (null: it runs no scripts). */
export function setKindFor(status: number): ScriptSetKind | null {
  switch (status) {
    case S.NEW: case S.COMMISSIONING: return 'commissioning';
    case S.TESTING: return 'testing';
    case S.DEPLOYING: case S.DEPLOYED: return 'installation';
    case S.DISK_ERASING: case S.RELEASING: return 'release';
    default: return null;
  }
}

export interface ActionChoices { data: Record<string, unknown>; started: Date | null }

/** The running lifecycle action's data (script choices, erase options) and when it started. */
export async function actionChoices(q: Queryable, nodeId: number): Promise<ActionChoices> {
  const [w] = await q.query<{ data: Record<string, unknown>; created: Date }>(
    "select data, created from workflows where node_id = $1 and lane = 'lifecycle' and state = 'running' order by id desc limit 1", [nodeId]);
  return w ? { data: w.data ?? {}, started: new Date(w.created) } : { data: {}, started: null };
}

const names = (v: unknown) => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
const selected = (s: Script, wanted: string[]) => wanted.includes(s.name) || s.tags.some((t) => wanted.includes(t));

/**
 * The scripts of each kind the machine runs now, in the order they run. Commissioning runs every
 * built-in commissioning script, and the custom ones chosen by name or tag (all of them when none are
 * chosen). Tests run when chosen by name or tag. A script made for particular hardware (`for_hardware`)
 * runs only when chosen, and only once `hardware` (null: not read yet in this run) shows the machine has it.
 */
export async function scriptsToRun(q: Queryable, status: number, choices: ActionChoices, hardware: HardwareIds | null = null):
  Promise<{ commissioning: Script[]; testing: Script[]; release: Script[] }> {
  const d = choices.data;
  const stored = await storedRunnable(q);
  const fits = (s: Script) => !s.for_hardware?.length || (hardware !== null && matchesHardware(s.for_hardware, hardware));
  const chosen = names(d.commissioning_scripts);
  const custom = stored.filter((s) => s.kind === 'commissioning' && (chosen.length ? selected(s, chosen) && fits(s) : !s.for_hardware?.length));
  const pool: Script[] = [...SHIPPED_SCRIPTS, ...stored.filter((s) => s.kind === 'testing'), ...custom];
  const of = (kind: Script['kind']) => pool.filter((s) => s.kind === kind).sort((a, b) => a.name.localeCompare(b.name));
  const testing = (() => {
    const wanted = names(d.testing_scripts);
    if (!wanted.length || wanted.includes('none')) return [];
    return of('testing').filter((s) => selected(s, wanted) && fits(s));
  })();
  switch (status) {
    // Enlistment runs the built-in scripts only (as MAAS's enlistment script set).
    case S.NEW: return { commissioning: of('commissioning').filter((s) => s.default !== false), testing: [], release: [] };
    case S.COMMISSIONING: return { commissioning: of('commissioning'), testing: d.run_tests ? testing : [], release: [] };
    case S.TESTING: return { commissioning: [], testing, release: [] };
    case S.DISK_ERASING: return { commissioning: [], testing: [], release: d.erase ? of('release').filter((s) => s.name === 'wipe-disks') : [] };
    default: return { commissioning: [], testing: [], release: [] };
  }
}
