/**
 * Numbered migrations (`NNN_name.sql` beside this file), applied in order at start, each in its own
 * transaction, under an advisory lock so several region processes starting together apply them once.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Db } from './db.ts';

const dir = join(dirname(fileURLToPath(import.meta.url)), 'migrations');
const LOCK_KEY = 7_504_118; // arbitrary, fixed: Plinth's migration lock

export interface Migration { version: number; name: string; sql: string }

export function listMigrations(): Migration[] {
  return readdirSync(dir)
    .filter((f) => /^\d{3}_[a-z0-9_]+\.sql$/.test(f))
    .sort()
    .map((f) => ({ version: Number(f.slice(0, 3)), name: f, sql: readFileSync(join(dir, f), 'utf8') }));
}

/** Applies what is missing; returns the names applied. */
export async function migrate(db: Db): Promise<string[]> {
  await db.query('create table if not exists schema_migrations (version integer primary key, name text not null, applied timestamptz not null default now())');
  const applied: string[] = [];
  for (const m of listMigrations()) {
    const done = await db.tx(async (q) => {
      await q.query('select pg_advisory_xact_lock($1)', [LOCK_KEY]);
      const have = await q.query('select 1 from schema_migrations where version = $1', [m.version]);
      if (have.length) return false;
      await q.exec(m.sql);
      await q.query('insert into schema_migrations (version, name) values ($1, $2)', [m.version, m.name]);
      return true;
    });
    if (done) applied.push(m.name);
  }
  return applied;
}
