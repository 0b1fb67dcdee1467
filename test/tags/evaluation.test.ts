/**
 * Defined tags through the API and the background evaluator: created or changed definitions are
 * applied to every machine, arriving commissioning data re-evaluates one machine, update_nodes keeps
 * its hands off defined tags, and allocation can ask for them.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { commissioningDataArrived, commissioningXml, storeCommissioningXml } from '../../src/services/tag-evaluation/details.ts';
import { pendingTagEvaluations } from '../../src/services/tag-evaluation/queue.ts';
import { TagEvaluator } from '../../src/services/tag-evaluation/worker.ts';
import { BACKENDS } from '../helpers/backends.ts';
import { startTestRegion, type TestRegion } from '../helpers/region.ts';
import { seedMachine, type Seeded } from '../allocation/seed.ts';
import { LLDP_SERVER, LSHW_SERVER, LSHW_VM } from './fixtures.ts';

const NVIDIA = '//node[@id="display"]/vendor[contains(., "NVIDIA")]';
const QEMU = '//node[@class="system"]/vendor = "QEMU"';

for (const kind of BACKENDS) {
  describe(`tag evaluation (${kind})`, () => {
    let r: TestRegion;
    let ev: TagEvaluator;
    let second: TagEvaluator;
    const m: Record<string, Seeded> = {};
    const tagged = async (tag: string) =>
      (await r.api('GET', `tags/${tag}/?op=machines`)).json().map((x: { hostname: string }) => x.hostname).sort();

    before(async () => {
      r = await startTestRegion(kind);
      // Two evaluators on one store, as two regions would run them: the queue must hand work out once.
      ev = new TagEvaluator(r.svc, 50).start();
      second = new TagEvaluator(r.svc, 50).start();
      for (const h of ['server', 'vm', 'blank']) m[h] = await seedMachine(r, { hostname: h, cpu: h === 'server' ? 32 : 2, mem: h === 'server' ? 262144 : 4096 });
      await storeCommissioningXml(r.svc, m.server.id, 'lshw', LSHW_SERVER);
      await storeCommissioningXml(r.svc, m.server.id, 'lldp', LLDP_SERVER);
      await storeCommissioningXml(r.svc, m.vm.id, 'lshw', LSHW_VM);
    });
    after(async () => { await ev.stop(); await second.stop(); await r.close(); });
    const settle = async () => { await ev.idle(); await second.idle(); assert.equal(await pendingTagEvaluations(r.svc), 0); };

    test('a new definition is applied to every machine in the background; kernel_opts kept', async () => {
      const res = await r.api('POST', 'tags/', [['name', 'gpu'], ['definition', NVIDIA], ['kernel_opts', 'nouveau.modeset=0'], ['comment', 'GPU hosts']]);
      assert.equal(res.status, 200, res.text);
      assert.deepEqual(res.json(), { name: 'gpu', definition: NVIDIA, comment: 'GPU hosts', kernel_opts: 'nouveau.modeset=0', resource_uri: '/MAAS/api/2.0/tags/gpu/' });
      await r.api('POST', 'tags/', [['name', 'everything'], ['definition', 'true()']]);
      await r.api('POST', 'tags/', [['name', 'tor-r12'], ['definition', '//lldp:chassis/lldp:name = "tor-r12-a"']]);
      await settle();
      assert.deepEqual(await tagged('gpu'), ['server']);
      assert.deepEqual(await tagged('everything'), ['blank', 'server', 'vm'], 'a machine without details is evaluated on an empty document');
      assert.deepEqual(await tagged('tor-r12'), ['server']);
      assert.deepEqual((await r.api('GET', `machines/${m.server.system_id}/`)).json().tag_names, ['everything', 'gpu', 'tor-r12']);
      assert.equal((await r.api('GET', 'tags/gpu/')).json().kernel_opts, 'nouveau.modeset=0');
    });

    test('a changed definition re-evaluates every machine', async () => {
      assert.equal((await r.api('PUT', 'tags/gpu/', [['definition', QEMU]])).status, 200);
      await settle();
      assert.deepEqual(await tagged('gpu'), ['vm']);
      // Changing only the comment queues nothing.
      await r.api('PUT', 'tags/gpu/', [['comment', 'now VMs']]);
      assert.equal(await pendingTagEvaluations(r.svc), 0);
    });

    test('commissioning data arriving re-evaluates that machine only when announced', async () => {
      const stored = await storeCommissioningXml(r.svc, m.blank.id, 'lshw', LSHW_VM);
      assert.deepEqual(stored, { wellFormed: true });
      await settle();
      assert.deepEqual(await tagged('gpu'), ['vm'], 'storing alone changes no tags');
      await commissioningDataArrived(r.svc, m.blank.id);
      await settle();
      assert.deepEqual(await tagged('gpu'), ['blank', 'vm']);
      // New hardware facts take tags away too.
      await storeCommissioningXml(r.svc, m.blank.id, 'lshw', LSHW_SERVER);
      await commissioningDataArrived(r.svc, m.blank.id);
      await settle();
      assert.deepEqual(await tagged('gpu'), ['vm']);
      assert.deepEqual(Object.keys(await commissioningXml(r.svc, m.server.id)).sort(), ['lldp', 'lshw']);
      // Output that is not XML is kept but evaluated as missing.
      const bad = await storeCommissioningXml(r.svc, m.blank.id, 'lshw', '<list><node class="system">');
      assert.equal(bad.wellFormed, false);
      await commissioningDataArrived(r.svc, m.blank.id);
      await settle();
      assert.deepEqual(await tagged('everything'), ['blank', 'server', 'vm']);
      await assert.rejects(storeCommissioningXml(r.svc, m.blank.id, 'dmesg', '<x/>'), /Unknown commissioning detail/);
    });

    test('update_nodes: defined tags only take results for their current definition', async () => {
      const manual = await r.api('POST', 'tags/gpu/?op=update_nodes', [['add', m.server.system_id]]);
      assert.equal(manual.status, 409);
      assert.match(manual.text, /^Tag 'gpu' has a definition/);
      const stale = await r.api('POST', 'tags/gpu/?op=update_nodes', [['add', m.server.system_id], ['definition', NVIDIA]]);
      assert.deepEqual([stale.status, stale.text], [409, `Definition supplied '${NVIDIA}' doesn't match current definition '${QEMU}'`]);
      const worker = await r.api('POST', 'tags/gpu/?op=update_nodes', [['add', m.server.system_id], ['definition', QEMU]]);
      assert.deepEqual(worker.json(), { added: 1, removed: 0 });
      // Clearing the definition makes it a manual tag: its machines stay and can be managed by hand.
      await r.api('PUT', 'tags/gpu/', [['definition', '']]);
      await settle();
      assert.deepEqual(await tagged('gpu'), ['server', 'vm']);
      assert.deepEqual((await r.api('POST', 'tags/gpu/?op=update_nodes', [['remove', m.server.system_id]])).json(), { added: 0, removed: 1 });
    });

    test('invalid XPath is refused with 400 and queues nothing', async () => {
      for (const def of ['//node[@id="x"', '//nsx:node', 'frobnicate()']) {
        const res = await r.api('POST', 'tags/', [['name', 'broken'], ['definition', def]]);
        assert.equal(res.status, 400, def);
        assert.match(res.json().definition[0], /^Invalid xpath expression: /, def);
      }
      assert.equal((await r.api('PUT', 'tags/everything/', [['definition', '//[']])).status, 400);
      assert.equal(await pendingTagEvaluations(r.svc), 0);
    });

    test('allocation by a defined tag', async () => {
      await r.api('POST', 'tags/', [['name', 'tor'], ['definition', '//lldp:interface[@name="eno1"]']]);
      await settle();
      const res = await r.api('POST', 'machines/?op=allocate', [['tags', 'tor'], ['dry_run', 'true']]);
      assert.equal(res.json().hostname, 'server');
      const none = await r.api('POST', 'machines/?op=allocate', [['tags', 'tor'], ['not_tags', 'everything']]);
      assert.equal(none.status, 409);
      assert.ok(ev.done + second.done > 0);
    });
  });
}
