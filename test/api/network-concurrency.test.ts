/**
 * Concurrent automatic allocation: 200 reservations in flight at once — on PostgreSQL split across two
 * region servers, each with its own connection pool on the same database (as two region processes
 * are) — get 200 distinct addresses, exactly the 200 lowest; the subnet then fills to its 254th
 * address and the 255th request fails with a clear message. On PGlite, one region takes all 200.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { buildRegionServer } from '../../src/edges/http/region-server.ts';
import { HANDLERS } from '../../src/edges/maas/handlers/index.ts';
import { call } from '../../src/cli/client/request.ts';
import { openPostgres, type Db } from '../../src/store/db.ts';
import { BACKENDS } from '../helpers/backends.ts';
import { quietLog, startTestRegion, type TestRegion } from '../helpers/region.ts';

for (const kind of BACKENDS) {
  describe(`concurrent IP allocation (${kind}${kind === 'postgres' ? ', two regions' : ''})`, () => {
    let r: TestRegion;
    let second: { app: FastifyInstance; db: Db; base: string } | undefined;
    before(async () => {
      r = await startTestRegion(kind);
      if (kind === 'postgres') {
        const db = await openPostgres(r.store.url!, 10);
        const { app } = buildRegionServer({ svc: { db, log: quietLog, now: () => new Date() }, handlers: HANDLERS, deps: { version: '0.1.0-test' }, logger: false });
        await app.listen({ port: 0, host: '127.0.0.1' });
        second = { app, db, base: `http://127.0.0.1:${(app.server.address() as { port: number }).port}/MAAS/api/2.0/` };
      }
    });
    after(async () => {
      if (second) { await second.app.close(); await second.db.close(); }
      await r.close();
    });

    const reserve = async (i: number, subnet: string) => {
      const base = second && i % 2 === 1 ? second.base : r.base;
      const res = await call({ method: 'POST', url: `${base}ipaddresses/?op=reserve`, apiKey: r.adminKey, fields: [{ name: 'subnet', value: subnet }] });
      return { status: res.status, text: res.body.toString() };
    };

    test('200 concurrent AUTO allocations → 200 distinct addresses; the 255th allocation fails clearly', async () => {
      const created = await r.api('POST', 'subnets/', [['cidr', '10.9.0.0/24']]);
      assert.equal(created.status, 200, created.text);
      const id = String(created.json().id);
      const results = await Promise.all(Array.from({ length: 200 }, (_, i) => reserve(i, id)));
      for (const x of results) assert.equal(x.status, 200, x.text);
      const ips = results.map((x) => JSON.parse(x.text).ip as string);
      assert.equal(new Set(ips).size, 200, 'all distinct');
      const octets = ips.map((a) => Number(a.split('.')[3])).sort((a, b) => a - b);
      assert.deepEqual(octets, Array.from({ length: 200 }, (_, i) => i + 1), 'exactly the 200 lowest addresses');
      const rest = await Promise.all(Array.from({ length: 54 }, (_, i) => reserve(i, id)));
      for (const x of rest) assert.equal(x.status, 200, x.text);
      const last = await reserve(1, id);
      assert.equal(last.status, 503);
      assert.match(last.text, /^No more IPs available in subnet: 10\.9\.0\.0\/24\./);
      const [{ n, d }] = await r.svc.db.query<{ n: number; d: number }>(
        'select count(*)::int as n, count(distinct ip)::int as d from static_ip_addresses where subnet_id = $1', [Number(id)]);
      assert.deepEqual([n, d], [254, 254]);
    });
  });
}
