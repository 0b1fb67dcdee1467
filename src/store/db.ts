/**
 * The store's connection seam. One interface, two engines: PGlite (embedded, a data directory) and
 * PostgreSQL (DATABASE_URL). Both speak the same SQL with $n parameters; migrations are shared.
 */
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';

export interface Queryable {
  /** True when independent queries may run at once (a pool); a single connection or transaction runs them in turn. */
  readonly concurrent?: boolean;
  /**
   * `prepare`: a hot statement of fixed text, kept parsed and planned per PostgreSQL connection (a
   * named prepared statement) instead of being parsed and planned on every call. Ignored by PGlite.
   */
  query<T = Record<string, unknown>>(sql: string, params?: unknown[], opts?: { prepare?: boolean }): Promise<T[]>;
  /** Runs a script of several statements without parameters (migrations). */
  exec(sql: string): Promise<void>;
}

export interface Db extends Queryable {
  readonly kind: 'pglite' | 'postgres';
  /** Runs fn in one transaction; rolls back if it throws. */
  tx<T>(fn: (q: Queryable) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

// int8 (20) and numeric (1700) as JS numbers: sizes in bytes stay below 2^53.
const toNumber = (v: string) => Number(v);

export async function openPglite(dataDir: string | undefined): Promise<Db> {
  const lite = await PGlite.create({ dataDir, parsers: { 20: toNumber, 1700: toNumber } });
  // PGlite is a single connection: serialise transactions so their statements never interleave.
  let chain: Promise<unknown> = Promise.resolve();
  const query = async <T>(sql: string, params?: unknown[]) =>
    (await lite.query<T>(sql, params as unknown[] | undefined)).rows;
  return {
    kind: 'pglite',
    query: <T>(sql: string, params?: unknown[]) => {
      const run = chain.then(() => query<T>(sql, params));
      chain = run.catch(() => undefined);
      return run;
    },
    tx<T>(fn: (q: Queryable) => Promise<T>): Promise<T> {
      const run = chain.then(() =>
        lite.transaction(async (t) =>
          fn({
            query: async <R>(sql: string, params?: unknown[]) => (await t.query<R>(sql, params as unknown[] | undefined)).rows,
            exec: async (sql: string) => { await t.exec(sql); },
          }),
        ),
      );
      chain = run.catch(() => undefined);
      return run as Promise<T>;
    },
    exec: async (sql: string) => {
      const run = chain.then(() => lite.exec(sql));
      chain = run.catch(() => undefined);
      await run;
    },
    close: () => lite.close(),
  };
}

const statementNames = new Map<string, string>();
/** pg's query config: a named (prepared) statement for `prepare`, else the unnamed one. */
function pgQuery(sql: string, params: unknown[] | undefined, opts: { prepare?: boolean } | undefined) {
  if (!opts?.prepare) return { text: sql, values: params };
  let name = statementNames.get(sql);
  if (!name) statementNames.set(sql, (name = `plinth_${statementNames.size}`));
  return { name, text: sql, values: params };
}

export async function openPostgres(url: string, max = 10): Promise<Db> {
  const types = {
    getTypeParser: ((oid: number, format?: string) =>
      oid === 20 || oid === 1700 ? toNumber : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
  };
  const pool = new pg.Pool({ connectionString: url, max, types });
  pool.on('error', () => undefined); // idle-client errors surface on the next query instead
  await pool.query('select 1');
  return {
    kind: 'postgres',
    concurrent: true,
    query: async <T>(sql: string, params?: unknown[], opts?: { prepare?: boolean }) => (await pool.query(pgQuery(sql, params, opts))).rows as T[],
    exec: async (sql: string) => { await pool.query(sql); },
    async tx<T>(fn: (q: Queryable) => Promise<T>): Promise<T> {
      const client = await pool.connect();
      try {
        await client.query('begin');
        const result = await fn({
          query: async <R>(sql: string, params?: unknown[], opts?: { prepare?: boolean }) => (await client.query(pgQuery(sql, params, opts))).rows as R[],
          exec: async (sql: string) => { await client.query(sql); },
        });
        await client.query('commit');
        return result;
      } catch (err) {
        await client.query('rollback').catch(() => undefined);
        throw err;
      } finally {
        client.release();
      }
    },
    close: () => pool.end(),
  };
}

export async function openDb(opts: { databaseUrl?: string; dataDir?: string }): Promise<Db> {
  return opts.databaseUrl ? openPostgres(opts.databaseUrl) : openPglite(opts.dataDir);
}
