/**
 * An in-process region on a loopback port for API tests, with an admin, a plain user and their keys,
 * and a signed client that speaks like the maas CLI (multipart, PLAINTEXT OAuth).
 */
import type { FastifyInstance } from 'fastify';
import { buildRegionServer } from '../../src/edges/http/region-server.ts';
import { HANDLERS } from '../../src/edges/maas/handlers/index.ts';
import { createAdmin } from '../../src/services/admin.ts';
import { createUser } from '../../src/services/identity/users.ts';
import { createToken, formatKey } from '../../src/services/identity/tokens.ts';
import type { ServiceContext } from '../../src/services/context.ts';
import { call, type Field } from '../../src/cli/client/request.ts';
import { openTestStore, type TestStore } from './backends.ts';

export const quietLog = { info() {}, warn() {}, error() {} };

export interface TestRegion {
  base: string; // http://127.0.0.1:PORT/MAAS/api/2.0/
  origin: string;
  svc: ServiceContext;
  store: TestStore;
  app: FastifyInstance;
  adminKey: string;
  userKey: string;
  api(method: string, path: string, fields?: Array<[string, string]> | Field[], key?: string | null): Promise<{ status: number; contentType: string; text: string; json: () => any }>;
  close(): Promise<void>;
}

export async function startTestRegion(kind: 'pglite' | 'postgres', opts: { now?: () => Date } = {}): Promise<TestRegion> {
  const store = await openTestStore(kind);
  const svc: ServiceContext = { db: store.db, log: quietLog, now: opts.now ?? (() => new Date()) };
  const { app } = buildRegionServer({ svc, handlers: HANDLERS, deps: { version: '0.1.0-test' }, logger: false });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const port = (app.server.address() as { port: number }).port;
  const origin = `http://127.0.0.1:${port}`;
  const admin = await createAdmin(svc, { username: 'admin', password: 'admin-pass', email: 'admin@example.com' });
  const user = await createUser(svc, { username: 'alice', password: 'alice-pass', email: 'alice@example.com', isSuperuser: false });
  const userKey = formatKey(await createToken(store.db, user.id, 'test'));
  const base = `${origin}/MAAS/api/2.0/`;
  return {
    base, origin, svc, store, app, adminKey: admin.apiKey, userKey,
    async api(method, path, fields = [], key) {
      const list: Field[] = (fields as Array<Field | [string, string]>).map((f) => (Array.isArray(f) ? { name: f[0], value: f[1] } : f));
      const r = await call({ method, url: base + path, apiKey: key === undefined ? admin.apiKey : key, fields: list });
      const text = r.body.toString();
      return { status: r.status, contentType: r.contentType, text, json: () => JSON.parse(text) };
    },
    async close() { await app.close(); await store.drop(); },
  };
}
