/**
 * The two stores the suite runs against: embedded PGlite (in memory) and PostgreSQL on 127.0.0.1:5432
 * (a fresh database per use, dropped afterwards). Set PLINTH_TEST_BACKENDS=pglite to skip PostgreSQL.
 */
import { randomBytes } from 'node:crypto';
import { openPglite, openPostgres, type Db } from '../../src/store/db.ts';
import { migrate } from '../../src/store/migrate.ts';

export const PG_ADMIN_URL = process.env.PLINTH_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export interface TestStore { db: Db; url?: string; drop(): Promise<void> }

export async function createPgDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `plinth_test_${randomBytes(6).toString('hex')}`;
  const admin = await openPostgres(PG_ADMIN_URL, 1);
  await admin.query(`create database ${name}`);
  await admin.close();
  const u = new URL(PG_ADMIN_URL);
  u.pathname = `/${name}`;
  return {
    url: u.toString(),
    async drop() {
      const a = await openPostgres(PG_ADMIN_URL, 1);
      await a.query(`drop database if exists ${name} with (force)`);
      await a.close();
    },
  };
}

export async function openTestStore(kind: 'pglite' | 'postgres'): Promise<TestStore> {
  if (kind === 'pglite') {
    const db = await openPglite(undefined);
    await migrate(db);
    return { db, drop: () => db.close() };
  }
  const pg = await createPgDatabase();
  const db = await openPostgres(pg.url, 10);
  await migrate(db);
  return { db, url: pg.url, async drop() { await db.close(); await pg.drop(); } };
}

export const BACKENDS: Array<'pglite' | 'postgres'> = (process.env.PLINTH_TEST_BACKENDS ?? 'pglite,postgres')
  .split(',').map((s) => s.trim()).filter((s): s is 'pglite' | 'postgres' => s === 'pglite' || s === 'postgres');
