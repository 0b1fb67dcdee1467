/**
 * What `for_hardware` is matched against, region side as in MAAS: the machine's modaliases (the
 * newest passed output of 10-plinth-modaliases) and its DMI values as `key:value` pairs (the
 * hardware_info 00-plinth-facts wrote; keys system_*, mainboard_*, firmware_*, chassis_*, MAAS's node
 * metadata keys). During commissioning a script for particular hardware is matched only once every
 * built-in commissioning script of this run has reported, so the data is this boot's; the machine's
 * agent fetches its scripts again after they pass (MAAS's maas-run-remote-scripts does the same).
 */
import { scriptRunsRepo } from '../../store/repos/scripts.ts';
import type { Queryable } from '../context.ts';
import type { HardwareIds } from './hardware-match.ts';
import { MODALIASES_SCRIPT, SHIPPED_COMMISSIONING } from './shipped.ts';

/** Statuses a result no longer changes from on its own (MAAS's finished ones). */
const FINISHED = new Set([2, 3, 4, 5, 6, 8, 9, 11]);
const PAIR_KEYS = /^(system|mainboard|firmware|chassis)_/;

export async function hardwareOf(q: Queryable, nodeId: number): Promise<HardwareIds> {
  const [node] = await q.query<{ hardware_info: Record<string, string> | null }>('select hardware_info from nodes where id = $1', [nodeId]);
  const pairs = Object.entries(node?.hardware_info ?? {}).filter(([k, v]) => PAIR_KEYS.test(k) && typeof v === 'string').map(([k, v]) => `${k}:${v}`);
  const out = await scriptRunsRepo.latestPassedOutput(q, nodeId, MODALIASES_SCRIPT);
  const modaliases = out ? [...new Set(out.toString('utf8').split('\n').map((l) => l.trim()).filter(Boolean))] : [];
  return { modaliases, pairs };
}

/** Whether every built-in commissioning script of this run (set) has reported its result. */
export async function runInventoried(q: Queryable, commissioningSetId: number): Promise<boolean> {
  const states = new Map((await scriptRunsRepo.states(q, commissioningSetId)).map((r) => [r.name, r.status]));
  return SHIPPED_COMMISSIONING.every((name) => FINISHED.has(states.get(name) ?? -1));
}

/**
 * Removes the pending results of scripts for particular hardware that this run no longer lists (the
 * machine turned out not to have that hardware, or the script's list changed): they would otherwise
 * stay Pending. Returns the names removed.
 */
export async function dropUnlisted(q: Queryable, setId: number, hardwareScripts: string[], listed: string[]): Promise<string[]> {
  const keep = new Set(listed);
  return scriptRunsRepo.dropPending(q, setId, hardwareScripts.filter((n) => !keep.has(n)));
}
