/**
 * Storing what a machine uploads about its scripts: each file part is named after a result file
 * (`<name>` combined output, `<name>.out` stdout, `<name>.err` stderr, `<name>.yaml` result), and the
 * signal's exit status, runtime and progress status go to the named result (by id, else by name).
 */
import { scriptResultsRepo, type ResultPatch, type ScriptResultRow, type ScriptSetRow } from '../../store/repos/metadata.ts';
import type { Queryable } from '../context.ts';

export const ScriptStatus = { PENDING: 0, RUNNING: 1, PASSED: 2, FAILED: 3, TIMEDOUT: 4, ABORTED: 5, INSTALLING: 7, FAILED_INSTALLING: 8, APPLYING_NETCONF: 10 } as const;

export interface UploadedFile { name: string; data: Buffer }

export interface ResultReport {
  /** The signal's status (OK, WORKING, TIMEDOUT, …). */
  status: string;
  script_result_id?: number; exit_status?: number; runtime?: number; name?: string; files: UploadedFile[];
}

const SUFFIX: Array<[string, 'stdout' | 'stderr' | 'result']> = [['.out', 'stdout'], ['.err', 'stderr'], ['.yaml', 'result']];

function fileTarget(fileName: string): { script: string; field: 'output' | 'stdout' | 'stderr' | 'result' } {
  for (const [suffix, field] of SUFFIX) if (fileName.endsWith(suffix)) return { script: fileName.slice(0, -suffix.length), field };
  return { script: fileName, field: 'output' };
}

const PROGRESS: Record<string, number> = { WORKING: ScriptStatus.RUNNING, INSTALLING: ScriptStatus.INSTALLING, APPLYING_NETCONF: ScriptStatus.APPLYING_NETCONF };

/** Applies the report to the set's results; returns the rows it touched, as they are now. */
export async function storeResults(q: Queryable, set: ScriptSetRow, r: ResultReport, now: Date): Promise<ScriptResultRow[]> {
  const patches = new Map<number, ResultPatch>();
  const patchFor = (id: number) => patches.get(id) ?? (patches.set(id, {}), patches.get(id)!);
  let named: ScriptResultRow | undefined;
  if (r.script_result_id !== undefined) {
    const row = await scriptResultsRepo.byId(q, r.script_result_id);
    // A result id from another machine or an earlier run is not this set's: fall back to the name.
    if (row && row.script_set_id === set.id) named = row;
  }
  if (!named && r.name) named = await scriptResultsRepo.ensure(q, set.id, r.name);
  for (const f of r.files) {
    const t = fileTarget(f.name);
    const row = named && (t.script === named.name || r.files.length === 1) ? named : await scriptResultsRepo.ensure(q, set.id, t.script);
    patchFor(row.id)[t.field] = f.data;
  }
  if (named) {
    const p = patchFor(named.id);
    if (r.exit_status !== undefined) {
      p.exit_status = r.exit_status;
      // An exit status with INSTALLING is the package install's (MAAS: "Failed installing").
      p.status = r.status === 'TIMEDOUT' ? ScriptStatus.TIMEDOUT : r.exit_status === 0 ? ScriptStatus.PASSED
        : r.status === 'INSTALLING' ? ScriptStatus.FAILED_INSTALLING : ScriptStatus.FAILED;
      p.ended = now;
      if (named.started === null) p.started = r.runtime !== undefined ? new Date(now.getTime() - r.runtime * 1000) : now;
    } else if (r.status === 'TIMEDOUT') {
      p.status = ScriptStatus.TIMEDOUT; p.ended = now;
    } else if (PROGRESS[r.status] !== undefined) {
      p.status = PROGRESS[r.status];
      if (named.started === null) p.started = now;
    }
    if (r.runtime !== undefined) p.runtime = r.runtime;
  }
  // Files for a result that got no exit status (a bare upload) leave its status as it was.
  const out: ScriptResultRow[] = [];
  for (const [id, p] of patches) {
    await scriptResultsRepo.update(q, id, p);
    out.push((await scriptResultsRepo.byId(q, id))!);
  }
  return out;
}

/** Marks a result failed because Plinth could not use its output (the reason joins its stderr). */
export async function failResult(q: Queryable, row: ScriptResultRow, reason: string, now: Date) {
  const stderr = Buffer.concat([row.stderr, Buffer.from(`${row.stderr.length ? '\n' : ''}plinth: ${reason}\n`)]);
  await scriptResultsRepo.update(q, row.id, { status: ScriptStatus.FAILED, stderr, ended: row.ended ?? now });
}
