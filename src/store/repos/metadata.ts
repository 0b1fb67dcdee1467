/** Node keys (per-machine OAuth tokens) and script sets/results (migration 009). */
import type { Queryable } from '../db.ts';
import type { TokenRow } from './users.ts';

export type ScriptSetKind = 'commissioning' | 'testing' | 'installation' | 'release';

export interface ScriptSetRow { id: number; node_id: number; kind: ScriptSetKind; last_ping: Date | null; created: Date }

export interface ScriptResultRow {
  id: number; script_set_id: number; name: string; status: number; exit_status: number | null; runtime: number | null;
  output: Buffer; stdout: Buffer; stderr: Buffer; result: Buffer; started: Date | null; ended: Date | null; created: Date; updated: Date;
}

export const nodeKeysRepo = {
  forNode: async (q: Queryable, nodeId: number) =>
    (await q.query<TokenRow>("select * from api_tokens where node_id = $1 and kind = 'node'", [nodeId]))[0],
  /** Inserts the node's key unless one exists (two requests racing both get the one that won). */
  insertIfMissing: async (q: Queryable, nodeId: number, k: { consumer_key: string; token_key: string; token_secret: string }) => {
    await q.query(
      `insert into api_tokens (user_id, node_id, kind, name, consumer_key, token_key, token_secret)
       values (null, $1, 'node', 'node key', $2, $3, $4) on conflict (node_id) where kind = 'node' do nothing`,
      [nodeId, k.consumer_key, k.token_key, k.token_secret]);
    return (await q.query<TokenRow>("select * from api_tokens where node_id = $1 and kind = 'node'", [nodeId]))[0];
  },
  /** Deletes the node's key; the next preseed creates a new one. */
  revoke: (q: Queryable, nodeId: number) => q.query("delete from api_tokens where node_id = $1 and kind = 'node'", [nodeId]),
};

export interface ResultPatch {
  status?: number; exit_status?: number | null; runtime?: number | null; output?: Buffer; stdout?: Buffer; stderr?: Buffer;
  result?: Buffer; started?: Date | null; ended?: Date | null;
}
const RESULT_COLUMNS = ['status', 'exit_status', 'runtime', 'output', 'stdout', 'stderr', 'result', 'started', 'ended'] as const;

export const scriptSetsRepo = {
  latest: async (q: Queryable, nodeId: number, kind: ScriptSetKind) =>
    (await q.query<ScriptSetRow>('select * from script_sets where node_id = $1 and kind = $2 order by id desc limit 1', [nodeId, kind]))[0],
  byId: async (q: Queryable, id: number) => (await q.query<ScriptSetRow>('select * from script_sets where id = $1', [id]))[0],
  insert: async (q: Queryable, nodeId: number, kind: ScriptSetKind, now: Date) =>
    (await q.query<ScriptSetRow>('insert into script_sets (node_id, kind, created) values ($1, $2, $3) returning *', [nodeId, kind, now]))[0],
  ping: (q: Queryable, id: number, now: Date) => q.query('update script_sets set last_ping = $2 where id = $1', [id, now]),
  hasResults: async (q: Queryable, id: number) =>
    (await q.query<{ found: boolean }>('select exists (select 1 from script_results where script_set_id = $1) as found', [id]))[0].found,
  /** Makes an empty set the current run's: created now, no ping yet. */
  renew: async (q: Queryable, id: number, now: Date) =>
    (await q.query<ScriptSetRow>('update script_sets set created = $2, last_ping = null where id = $1 returning *', [id, now]))[0],
  forNode: (q: Queryable, nodeId: number, kind?: ScriptSetKind) =>
    q.query<ScriptSetRow>(`select * from script_sets where node_id = $1 ${kind ? 'and kind = $2' : ''} order by id`, kind ? [nodeId, kind] : [nodeId]),
  /** Sets of many nodes with their machine's system_id (legacy commissioning-results listing). */
  all: (q: Queryable, kinds: ScriptSetKind[], systemIds: string[] | null) =>
    q.query<ScriptSetRow & { system_id: string }>(
      `select s.*, n.system_id from script_sets s join nodes n on n.id = s.node_id
        where s.kind = any($1::text[]) ${systemIds ? 'and n.system_id = any($2::text[])' : ''} order by s.id`,
      systemIds ? [kinds, systemIds] : [kinds]),
};

/** bytea arrives as Uint8Array from PGlite and Buffer from pg: always hand out Buffers. */
function asBuffers(rows: ScriptResultRow[]): ScriptResultRow[] {
  for (const r of rows) for (const k of ['output', 'stdout', 'stderr', 'result'] as const) if (!Buffer.isBuffer(r[k])) r[k] = Buffer.from(r[k]);
  return rows;
}
const select = async (q: Queryable, where: string, params: unknown[]) =>
  asBuffers(await q.query<ScriptResultRow>(`select * from script_results where ${where} order by id`, params));

export const scriptResultsRepo = {
  forSets: (q: Queryable, setIds: number[]) => select(q, 'script_set_id = any($1::int[])', [setIds]),
  byId: async (q: Queryable, id: number) => (await select(q, 'id = $1', [id]))[0],
  byName: async (q: Queryable, setId: number, name: string) => (await select(q, 'script_set_id = $1 and name = $2', [setId, name]))[0],
  /** The result row for (set, name), created pending when missing. */
  ensure: async (q: Queryable, setId: number, name: string) => {
    await q.query('insert into script_results (script_set_id, name) values ($1, $2) on conflict (script_set_id, name) do nothing', [setId, name]);
    return (await select(q, 'script_set_id = $1 and name = $2', [setId, name]))[0];
  },
  update: async (q: Queryable, id: number, patch: ResultPatch) => {
    const cols = RESULT_COLUMNS.filter((c) => c in patch);
    if (!cols.length) return;
    await q.query(`update script_results set ${cols.map((c, i) => `${c} = $${i + 2}`).join(', ')}, updated = now() where id = $1`,
      [id, ...cols.map((c) => patch[c])]);
  },
};
