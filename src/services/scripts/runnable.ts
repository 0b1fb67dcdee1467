/**
 * Stored scripts in the form the metadata service's catalogue runs (the built-in scripts' form), with
 * their newest text. Their results are stored under their name, like the built-in scripts' results.
 */
import { scriptsRepo, scriptVersionsRepo, type ScriptRow } from '../../store/repos/scripts.ts';
import type { BuiltinScript, Parallel, ScriptParameter } from '../commissioning/builtin.ts';
import type { Queryable } from '../context.ts';
import { HARDWARE_NAMES, SCRIPT_TYPE } from './model.ts';

export type RunnableScript = BuiltinScript & {
  /** False for stored scripts (absent: built-in). */
  default?: boolean;
  script_version_id?: number | null;
  /** Only the machines with this hardware run it (hardware-match.ts); absent or empty: every machine. */
  for_hardware?: string[];
  /** A commissioning script that, once it passes, has the built-in commissioning scripts run again. */
  recommission?: boolean;
  apply_configured_networking?: boolean;
};

const PARALLEL: Parallel[] = ['none', 'instance', 'any'];

function runnable(row: ScriptRow, content: string, versionId: number): RunnableScript {
  return {
    name: row.name, kind: row.script_type === SCRIPT_TYPE.COMMISSIONING ? 'commissioning' : 'testing', content,
    timeout_seconds: row.timeout, parallel: PARALLEL[row.parallel] ?? 'none', hardware_type: HARDWARE_NAMES[row.hardware_type]?.toLowerCase() ?? 'node',
    packages: row.packages ?? {}, tags: row.tags ?? [], may_reboot: row.may_reboot, destructive: row.destructive,
    // Custom parameters may have any of MAAS's types; the agent applies the argument_format rules by type.
    parameters: row.parameters as unknown as Record<string, ScriptParameter>,
    default: false, script_version_id: versionId, for_hardware: row.for_hardware ?? [], apply_configured_networking: row.apply_configured_networking,
    recommission: row.recommission,
  };
}

/** Every stored script with its newest text. */
export async function storedRunnable(q: Queryable): Promise<RunnableScript[]> {
  const rows = await scriptsRepo.list(q);
  if (!rows.length) return [];
  const latest = new Map((await scriptVersionsRepo.latestOf(q, rows.map((r) => r.id))).map((v) => [v.script_id, v]));
  return rows.filter((r) => latest.has(r.id)).map((r) => runnable(r, latest.get(r.id)!.content, latest.get(r.id)!.id));
}
