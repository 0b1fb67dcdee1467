/** Custom scripts and their versions (migration 013). */
import type { Queryable } from '../db.ts';

export interface ScriptRow {
  id: number; name: string; title: string; description: string; script_type: number; hardware_type: number; parallel: number;
  timeout: number; destructive: boolean; may_reboot: boolean; tags: string[]; packages: Record<string, unknown>;
  parameters: Record<string, unknown>; results: Record<string, unknown>; for_hardware: string[]; recommission: boolean;
  apply_configured_networking: boolean; default: boolean; created: Date; updated: Date;
}

export interface ScriptVersionRow { id: number; script_id: number; content: string; comment: string; created: Date }

/** The columns a write sets (everything but id, default and the timestamps). */
export type ScriptFields = Omit<ScriptRow, 'id' | 'default' | 'created' | 'updated'>;

const COLUMNS = ['name', 'title', 'description', 'script_type', 'hardware_type', 'parallel', 'timeout', 'destructive', 'may_reboot',
  'tags', 'packages', 'parameters', 'results', 'for_hardware', 'recommission', 'apply_configured_networking'] as const;
const JSON_COLUMNS = new Set(['packages', 'parameters', 'results']);
const value = (f: ScriptFields, c: (typeof COLUMNS)[number]) => (JSON_COLUMNS.has(c) ? JSON.stringify(f[c]) : f[c]);
const cast = (c: string) => (JSON_COLUMNS.has(c) ? '::jsonb' : c === 'tags' || c === 'for_hardware' ? '::text[]' : '');

export const scriptsRepo = {
  list: (q: Queryable) => q.query<ScriptRow>('select * from scripts order by name'),
  byName: async (q: Queryable, name: string) => (await q.query<ScriptRow>('select * from scripts where name = $1', [name]))[0],
  byId: async (q: Queryable, id: number) => (await q.query<ScriptRow>('select * from scripts where id = $1', [id]))[0],
  /** Locks the row for a read-modify-write. */
  lock: async (q: Queryable, id: number) => (await q.query<ScriptRow>('select * from scripts where id = $1 for update', [id]))[0],
  insert: async (q: Queryable, f: ScriptFields, now: Date) =>
    (await q.query<ScriptRow>(
      `insert into scripts (${COLUMNS.join(', ')}, created, updated) values (${COLUMNS.map((c, i) => `$${i + 1}${cast(c)}`).join(', ')}, $${COLUMNS.length + 1}, $${COLUMNS.length + 1}) returning *`,
      [...COLUMNS.map((c) => value(f, c)), now]))[0],
  update: async (q: Queryable, id: number, f: ScriptFields, now: Date) =>
    (await q.query<ScriptRow>(
      `update scripts set ${COLUMNS.map((c, i) => `${c} = $${i + 2}${cast(c)}`).join(', ')}, updated = $${COLUMNS.length + 2} where id = $1 returning *`,
      [id, ...COLUMNS.map((c) => value(f, c)), now]))[0],
  setTags: async (q: Queryable, id: number, tags: string[], now: Date) =>
    (await q.query<ScriptRow>('update scripts set tags = $2::text[], updated = $3 where id = $1 returning *', [id, tags, now]))[0],
  touch: async (q: Queryable, id: number, now: Date) =>
    (await q.query<ScriptRow>('update scripts set updated = $2 where id = $1 returning *', [id, now]))[0],
  delete: (q: Queryable, id: number) => q.query('delete from scripts where id = $1', [id]),
};

export const scriptVersionsRepo = {
  /** Newest first (MAAS's history order). */
  forScript: (q: Queryable, scriptId: number) =>
    q.query<ScriptVersionRow>('select * from script_versions where script_id = $1 order by id desc', [scriptId]),
  /** The versions of these scripts, newest first. */
  forScripts: (q: Queryable, scriptIds: number[]) =>
    q.query<ScriptVersionRow>('select * from script_versions where script_id = any($1::int[]) order by id desc', [scriptIds]),
  /** The newest version of each of these scripts. */
  latestOf: (q: Queryable, scriptIds: number[]) =>
    q.query<ScriptVersionRow>(
      'select distinct on (script_id) * from script_versions where script_id = any($1::int[]) order by script_id, id desc', [scriptIds]),
  insert: async (q: Queryable, scriptId: number, content: string, comment: string, now: Date) =>
    (await q.query<ScriptVersionRow>('insert into script_versions (script_id, content, comment, created) values ($1, $2, $3, $4) returning *',
      [scriptId, content, comment, now]))[0],
  /** Drops the versions newer than `versionId` (a revert). */
  deleteAfter: (q: Queryable, scriptId: number, versionId: number) =>
    q.query('delete from script_versions where script_id = $1 and id > $2', [scriptId, versionId]),
};

/** What `for_hardware` and `recommission` read and change in a run's results (migrations 009, 016). */
export const scriptRunsRepo = {
  /** The set's results without their outputs. */
  states: (q: Queryable, setId: number) =>
    q.query<{ id: number; name: string; status: number }>('select id, name, status from script_results where script_set_id = $1 order by id', [setId]),
  /** Makes these results pending again (a run that is to happen once more). */
  requeue: (q: Queryable, setId: number, names: string[], now: Date) =>
    q.query(`update script_results set status = 0, exit_status = null, runtime = null, started = null, ended = null, updated = $3
              where script_set_id = $1 and name = any($2::text[])`, [setId, names, now]),
  /** Deletes the results of these scripts that have not started; the names deleted. */
  dropPending: async (q: Queryable, setId: number, names: string[]) => names.length
    ? (await q.query<{ name: string }>('delete from script_results where script_set_id = $1 and status = 0 and name = any($2::text[]) returning name',
      [setId, names])).map((r) => r.name)
    : [],
  /** The stdout (else combined output) of the newest passed result of `name` in the node's commissioning runs. */
  latestPassedOutput: async (q: Queryable, nodeId: number, name: string): Promise<Buffer | undefined> => {
    const [row] = await q.query<{ stdout: Uint8Array; output: Uint8Array }>(
      `select r.stdout, r.output from script_results r join script_sets s on s.id = r.script_set_id
        where s.node_id = $1 and s.kind = 'commissioning' and r.name = $2 and r.status = 2 order by s.id desc, r.id desc limit 1`, [nodeId, name]);
    if (!row) return undefined;
    return Buffer.from(row.stdout.length ? row.stdout : row.output);
  },
  /** Records that these results' recommission is applied; returns those not recorded before (each is claimed once). */
  claimRecommissions: async (q: Queryable, resultIds: number[], now: Date) => resultIds.length
    ? (await q.query<{ script_result_id: number }>(
      `insert into script_result_recommissions (script_result_id, applied) select unnest($1::int[]), $2
        on conflict do nothing returning script_result_id`, [resultIds, now])).map((r) => r.script_result_id)
    : [],
};
