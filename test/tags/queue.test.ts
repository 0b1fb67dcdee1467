/**
 * The evaluation queue at the service level: definitions queued by the tags trigger, passes over more
 * nodes than one chunk, a definition changed in the middle of a pass, cascades when a tag goes away.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { CHUNK, evaluateTagOnAllNodes } from '../../src/services/tag-evaluation/evaluate.ts';
import { drainTagEvaluations, pendingTagEvaluations } from '../../src/services/tag-evaluation/queue.ts';
import type { ServiceContext } from '../../src/services/context.ts';
import { BACKENDS, openTestStore, type TestStore } from '../helpers/backends.ts';
import { quietLog } from '../helpers/region.ts';
import { LSHW_SERVER, LSHW_VM } from './fixtures.ts';

const NODES = CHUNK * 2 + 50;

for (const kind of BACKENDS) {
  describe(`tag evaluation queue (${kind})`, () => {
    let store: TestStore;
    let ctx: ServiceContext;
    const count = async (tag: string) => (await ctx.db.query<{ n: number }>(
      'select count(*)::int as n from node_tags nt join tags t on t.id = nt.tag_id where t.name = $1', [tag]))[0].n;

    before(async () => {
      store = await openTestStore(kind);
      ctx = { db: store.db, log: quietLog, now: () => new Date() };
      await ctx.db.query(`insert into nodes (system_id, hostname, zone_id) select 'q' || i, 'q-' || i, 1 from generate_series(1, $1::int) i`, [NODES]);
      // Every third node is a VM, every fifth a server, the rest never commissioned.
      await ctx.db.query(`insert into node_details (node_id, kind, xml) select id, 'lshw', case when id % 3 = 0 then $1 else $2 end
                            from nodes where id % 3 = 0 or id % 5 = 0`, [LSHW_VM, LSHW_SERVER]);
    });
    after(async () => { await store.drop(); });

    const vms = Math.floor(NODES / 3);
    const servers = Math.floor(NODES / 5) - Math.floor(NODES / 15);

    test('a definition inserted by any means is queued and evaluated over every chunk of nodes', async () => {
      await ctx.db.query(`insert into tags (name, definition) values ('qemu', '//node[@class="system"]/vendor = "QEMU"'), ('manual', '')`);
      assert.equal(await pendingTagEvaluations(ctx), 1, 'only the defined tag is queued');
      assert.equal(await drainTagEvaluations(ctx), 1);
      assert.equal(await count('qemu'), vms);
      assert.equal(await pendingTagEvaluations(ctx), 0);
    });

    test('a definition changed mid-pass stops that pass; the queued newer pass finishes the job', async () => {
      const [{ id }] = await ctx.db.query<{ id: number }>(`select id from tags where name = 'qemu'`);
      let chunks = 0;
      const outcome = await evaluateTagOnAllNodes(ctx, id, async () => {
        if (++chunks === 1) await ctx.db.query(`update tags set definition = '//node[@id="display"]' where id = $1`, [id]);
      });
      assert.deepEqual([outcome, chunks], ['superseded', 1]);
      assert.equal(await pendingTagEvaluations(ctx), 1);
      await drainTagEvaluations(ctx);
      assert.equal(await count('qemu'), servers);
    });

    test('repeated changes are coalesced; deleting a tag drops its queued work', async () => {
      for (const def of ['true()', 'false()', '//node[@class="disk"]/product = "QEMU HARDDISK"']) await ctx.db.query(`update tags set definition = $1 where name = 'qemu'`, [def]);
      assert.equal(await pendingTagEvaluations(ctx), 3);
      assert.equal(await drainTagEvaluations(ctx), 1, 'one pass covers all three');
      assert.equal(await count('qemu'), vms, 'only the VM fixture has a QEMU disk');
      await ctx.db.query(`update tags set definition = 'true()' where name = 'qemu'`);
      await ctx.db.query(`delete from tags where name = 'qemu'`);
      assert.equal(await pendingTagEvaluations(ctx), 0);
    });
  });
}
