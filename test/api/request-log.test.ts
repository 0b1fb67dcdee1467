/**
 * The region's request log: one line per request, after the response. Successes are logged at debug
 * (machines stream events and poll: at info they would drown the log), refusals at info, server errors
 * at error; OAuth signatures in URLs, Authorization headers and cookies never reach it.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { buildRegionServer } from '../../src/edges/http/region-server.ts';
import { HANDLERS } from '../../src/edges/maas/handlers/index.ts';
import { createAdmin } from '../../src/services/admin.ts';
import { openTestStore, type TestStore } from '../helpers/backends.ts';
import { quietLog } from '../helpers/region.ts';

type Line = { level: number; msg: string; method?: string; url?: string; status?: number; ms?: number } & Record<string, unknown>;

async function serve(level: string) {
  const lines: Line[] = [];
  const raw: string[] = [];
  const stream = new Writable({ write(chunk, _enc, cb) { raw.push(String(chunk)); lines.push(JSON.parse(String(chunk))); cb(); } });
  const { app } = buildRegionServer({ svc: { db: store.db, log: quietLog, now: () => new Date() }, handlers: HANDLERS, deps: { version: '0.1.0-test' }, logger: { level, stream } });
  await app.listen({ port: 0, host: '127.0.0.1' });
  apps.push(app);
  const origin = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
  return { lines, raw, origin };
}

let store: TestStore;
let apiKey: string;
const apps: FastifyInstance[] = [];
before(async () => {
  store = await openTestStore('pglite');
  apiKey = (await createAdmin({ db: store.db, log: quietLog, now: () => new Date() }, { username: 'admin', password: 'pw-123456', email: 'a@example.com' })).apiKey;
});
after(async () => { for (const a of apps) await a.close(); await store?.drop(); });

test('at info: a success is not logged; a refusal is, once, with its status and the signature redacted', async () => {
  const { lines, raw, origin } = await serve('info');
  assert.equal((await fetch(`${origin}/MAAS/api/version/`)).status, 200);
  const url = `/MAAS/api/2.0/machines/?oauth_signature=s3cr3t-sig&oauth_consumer_key=x`;
  const refused = await fetch(origin + url, { headers: { authorization: 'OAuth oauth_signature="top-secret"', cookie: 'sessionid=cookie-secret' } });
  assert.equal(refused.status, 401);
  await new Promise((r) => setTimeout(r, 50));
  const requests = lines.filter((l) => l.msg === 'request');
  assert.deepEqual(requests.map((l) => [l.level, l.method, l.status]), [[30, 'GET', 401]], JSON.stringify(lines));
  assert.equal(requests[0].url, '/MAAS/api/2.0/machines/?oauth_signature=[redacted]&oauth_consumer_key=x');
  assert.equal(typeof requests[0].ms, 'number');
  assert.ok(!lines.some((l) => l.msg === 'incoming request' || l.msg === 'request completed'), "Fastify's own two lines are off");
  const all = raw.join('');
  for (const secret of ['s3cr3t-sig', 'top-secret', 'cookie-secret', apiKey.split(':')[2]]) assert.ok(!all.includes(secret), `${secret} is not logged`);
});

test('at debug: every request gets its one line', async () => {
  const { lines, origin } = await serve('debug');
  assert.equal((await fetch(`${origin}/MAAS/api/version/`)).status, 200);
  await new Promise((r) => setTimeout(r, 50));
  assert.deepEqual(lines.filter((l) => l.msg === 'request').map((l) => [l.level, l.url, l.status]), [[20, '/MAAS/api/version/', 200]]);
});
