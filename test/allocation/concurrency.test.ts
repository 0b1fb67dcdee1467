/**
 * Concurrent allocation: 50 requests at once over 20 Ready machines → exactly 20 succeed, 30 get 409,
 * and no machine is handed out twice. Over HTTP, as clients do it; PostgreSQL (many connections, real
 * row locks) is the store where this matters, PGlite must agree.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { BACKENDS } from '../helpers/backends.ts';
import { startTestRegion, type TestRegion } from '../helpers/region.ts';
import { seedMachine } from './seed.ts';

const MACHINES = 20;
const REQUESTS = 50;

for (const kind of BACKENDS) {
  describe(`concurrent allocation (${kind})`, () => {
    let r: TestRegion;
    before(async () => {
      r = await startTestRegion(kind);
      for (let i = 0; i < MACHINES; i++) {
        // Equal costs for half of them make the race for "the cheapest" as tight as it gets.
        await seedMachine(r, { hostname: `c${i}`, cpu: i < MACHINES / 2 ? 2 : 2 + i, mem: 4096, disks: [{ name: 'sda', gb: 100 + i, boot: true }] });
      }
    });
    after(async () => { await r.close(); });

    const rounds: Array<[string, Array<[string, string]>]> = [
      ['no constraints', []],
      ['with a storage constraint (per-machine matching path)', [['storage', 'root:50']]],
    ];
    for (const [what, fields] of rounds) {
      test(`${REQUESTS} at once over ${MACHINES}: ${what}`, async () => {
        await r.svc.db.query('update nodes set status = 4, owner_id = null');
        const keys = [r.adminKey, r.userKey];
        const results = await Promise.all(Array.from({ length: REQUESTS }, (_, i) =>
          r.api('POST', 'machines/?op=allocate', [...fields, ['agent_name', `req-${i}`]], keys[i % 2])));
        const ok = results.filter((x) => x.status === 200);
        const conflicts = results.filter((x) => x.status === 409);
        assert.deepEqual([ok.length, conflicts.length], [MACHINES, REQUESTS - MACHINES],
          results.filter((x) => x.status !== 200 && x.status !== 409).map((x) => `${x.status} ${x.text}`).join('\n'));
        const ids = ok.map((x) => x.json().system_id as string);
        assert.equal(new Set(ids).size, MACHINES, 'no machine allocated twice');
        for (const c of conflicts) assert.match(c.text, /^No (available machine matches constraints|machine available)/);
        const rows = await r.svc.db.query<{ n: number; owners: number }>(
          'select count(*)::int as n, count(distinct agent_name)::int as owners from nodes where status = 10');
        assert.deepEqual(rows[0], { n: MACHINES, owners: MACHINES }, 'each machine records the one request that got it');
      });
    }
  });
}
