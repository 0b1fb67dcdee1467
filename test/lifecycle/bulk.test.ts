/**
 * Actions on many machines, on both stores: MAAS's bulk `release` (all or nothing), `accept` and
 * `accept_all`, and Plinth's `bulk_action` job (one action on every machine a filter selects, with
 * per-machine outcomes and progress at `bulk_status`).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { BACKENDS } from '../helpers/backends.ts';
import { newMachine, startLifecycleRegion, type LifecycleRegion } from './helpers.ts';

for (const kind of BACKENDS) {
  describe(`bulk machine actions (${kind})`, () => {
    let r: LifecycleRegion;
    const create = async (name: string, extra: Array<[string, string]> = []) => {
      const res = await r.api('POST', 'machines/', newMachine(`${name}-${kind}`, extra));
      assert.equal(res.status, 200, res.text);
      return r.sid(res);
    };
    const statusName = async (sid: string) => (await r.api('GET', `machines/${sid}/`)).json().status_name as string;

    before(async () => {
      r = await startLifecycleRegion(kind);
      await r.api('POST', 'zones/', [['name', 'bulkz']]);
    });
    after(async () => { await r?.close(); });

    test('release: deployed ones start releasing, Ready ones are left alone; one bad machine refuses all', async () => {
      const a = await create('br-a', [['deployed', 'true']]);
      const b = await create('br-b', [['deployed', 'true']]);
      const ready = await create('br-c');
      await r.svc.db.query('update nodes set status = 4 where system_id = $1', [ready]);
      const res = await r.api('POST', 'machines/?op=release', [['machines', a], ['machines', b], ['machines', ready], ['comment', 'end of sprint']]);
      assert.equal(res.status, 200, res.text);
      assert.deepEqual(res.json().sort(), [a, b].sort());
      assert.equal(await statusName(a), 'Releasing');
      assert.equal(await statusName(ready), 'Ready');

      const c = await create('br-d', [['deployed', 'true']]);
      const fresh = await create('br-e');
      const refused = await r.api('POST', 'machines/?op=release', [['machines', c], ['machines', fresh]]);
      assert.equal(refused.status, 409);
      assert.equal(refused.text, `Machine(s) cannot be released in their current state: ${fresh} ('New').`);
      assert.equal(await statusName(c), 'Deployed');
      const missing = await r.api('POST', 'machines/?op=release', [['machines', 'nosuch']]);
      assert.equal(missing.status, 403);
      assert.equal(missing.text, "You don't have the required permission to release the following machine(s): nosuch.");
      assert.equal((await r.api('POST', 'machines/?op=release', [])).status, 400);
    });

    test('accept: NEW machines start commissioning; accept_all takes the rest', async () => {
      const n1 = await create('ac-1');
      const n2 = await create('ac-2');
      const n3 = await create('ac-3');
      const deployed = await create('ac-4', [['deployed', 'true']]);
      const res = await r.api('POST', 'machines/?op=accept', [['machines', n1]]);
      assert.equal(res.status, 200, res.text);
      assert.deepEqual(res.json().map((m: { system_id: string; status_name: string }) => [m.system_id, m.status_name]), [[n1, 'Commissioning']]);
      const bad = await r.api('POST', 'machines/?op=accept', [['machines', n2], ['machines', deployed]]);
      assert.equal(bad.status, 409);
      assert.equal(bad.text, `Cannot accept node enlistment: node ${deployed} is in state Deployed.`);
      assert.equal(await statusName(n2), 'New');
      assert.equal((await r.api('POST', 'machines/?op=accept_all', [], r.userKey)).status, 403);
      const all = await r.api('POST', 'machines/?op=accept_all');
      const ids = all.json().map((m: { system_id: string }) => m.system_id);
      assert.ok(ids.includes(n2) && ids.includes(n3), all.text);
      assert.equal(await statusName(n3), 'Commissioning');
    });

    test('bulk_action: one job over a filter, per-machine outcomes, progress', async () => {
      const ids: string[] = [];
      for (let i = 0; i < 28; i++) ids.push(await create(`bz-${i}`, [['zone', 'bulkz'], ['deployed', 'true']]));
      await r.api('POST', `machines/${ids[0]}/?op=lock`);
      const fresh = await create('bz-new', [['zone', 'bulkz']]);
      const job = await r.api('POST', 'machines/?op=bulk_action', [['action', 'release'], ['zone', 'bulkz'], ['comment', 'rack 7 decommissioned']]);
      assert.equal(job.status, 200, job.text);
      const j = job.json();
      assert.equal(j.state, 'running');
      assert.equal(j.total, 29);
      assert.equal(j.processed, 0);

      await r.runner.tick(); // one batch
      await new Promise((res) => setTimeout(res, 50));
      await until(async () => (await r.api('GET', `machines/?op=bulk_status&id=${j.id}`)).json().processed > 0);
      const mid = (await r.api('GET', `machines/?op=bulk_status&id=${j.id}`)).json();
      assert.ok(mid.processed > 0 && mid.processed < 29, `a batch at a time (processed ${mid.processed})`);

      await r.runner.drain();
      const done = (await r.api('GET', `machines/?op=bulk_status&id=${j.id}`)).json();
      assert.equal(done.state, 'done');
      assert.equal(done.processed, 29);
      assert.equal(done.succeeded, 27);
      assert.deepEqual(done.failed.map((f: { system_id: string }) => f.system_id).sort(), [ids[0], fresh].sort());
      assert.match(done.failed.find((f: { system_id: string }) => f.system_id === fresh).error, /cannot be released in its current state \('New'\)/);
      assert.match(done.failed.find((f: { system_id: string }) => f.system_id === ids[0]).error, /is locked/);
      assert.equal(await statusName(ids[5]), 'Ready', 'the runner carried the releases through');
      // Jobs are their creator's (and admins').
      assert.equal((await r.api('GET', `machines/?op=bulk_status&id=${j.id}`, [], r.userKey)).status, 404);
    });

    test('bulk_action refuses no filter, unknown actions and bad parameters', async () => {
      const none = await r.api('POST', 'machines/?op=bulk_action', [['action', 'release']]);
      assert.equal(none.status, 400);
      assert.match(none.text, /at least one machine filter/);
      const unknown = await r.api('POST', 'machines/?op=bulk_action', [['action', 'explode'], ['zone', 'bulkz']]);
      assert.equal(unknown.status, 400);
      assert.ok(unknown.json().action);
      assert.equal((await r.api('POST', 'machines/?op=bulk_action', [['action', 'release'], ['zone', 'nosuchzone']])).status, 400);
      assert.equal((await r.api('GET', 'machines/?op=bulk_status&id=999999')).status, 404);
    });
  });
}

async function until(fn: () => Promise<boolean>, ms = 10_000) {
  const end = Date.now() + ms;
  while (!(await fn())) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}
