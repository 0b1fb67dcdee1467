/** maas/ config, zones, resource pools, tags and events. */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { BACKENDS } from '../helpers/backends.ts';
import { startTestRegion, type TestRegion } from '../helpers/region.ts';

for (const kind of BACKENDS) {
  describe(`resources (${kind})`, () => {
    let r: TestRegion;
    before(async () => { r = await startTestRegion(kind); });
    after(async () => { await r.close(); });

    test('config: defaults, set, typed values, refusals', async () => {
      const get = async (name: string) => (await r.api('GET', `maas/?op=get_config&name=${name}`)).json();
      assert.equal(await get('node_timeout'), 30);
      assert.equal(await get('enable_disk_erasing_on_release'), false);
      assert.equal(await get('upstream_dns'), null);
      const set = async (name: string, value: string) => r.api('POST', 'maas/?op=set_config', [['name', name], ['value', value]]);
      const ok = await set('maas_name', 'lab-region');
      assert.deepEqual([ok.status, ok.text], [200, 'OK']);
      assert.equal(await get('maas_name'), 'lab-region');
      assert.equal((await set('node_timeout', '45')).status, 200);
      assert.equal(await get('node_timeout'), 45);
      assert.equal((await set('enable_disk_erasing_on_release', 'yes')).status, 200);
      assert.equal(await get('enable_disk_erasing_on_release'), true);
      assert.equal((await set('upstream_dns', '1.1.1.1 9.9.9.9')).status, 200);
      assert.equal((await set('ntp_server', 'ntp.example.com')).status, 200, 'alias');
      assert.equal(await get('ntp_servers'), 'ntp.example.com');
      for (const [name, value] of [['node_timeout', 'soon'], ['node_timeout', '0'], ['dnssec_validation', 'maybe'], ['http_proxy', 'ftp://x'], ['nonsense', '1']]) {
        const res = await set(name, value);
        assert.equal(res.status, 400, `${name}=${value}`);
        assert.ok(res.json()[name], res.text);
      }
      assert.equal(await get('node_timeout'), 45, 'refused values change nothing');
    });

    test('zones: CRUD, default protected, in-use protected', async () => {
      assert.deepEqual((await r.api('GET', 'zones/')).json().map((z: { name: string }) => z.name), ['default']);
      const z = (await r.api('POST', 'zones/', [['name', 'dc1'], ['description', 'first']])).json();
      assert.deepEqual(z, { name: 'dc1', description: 'first', id: z.id, resource_uri: '/MAAS/api/2.0/zones/dc1/' });
      assert.equal((await r.api('POST', 'zones/', [['name', 'dc1']])).status, 400);
      assert.equal((await r.api('POST', 'zones/', [['name', 'bad name!']])).status, 400);
      assert.equal((await r.api('PUT', 'zones/dc1/', [['name', 'dc-one']])).json().name, 'dc-one');
      assert.equal((await r.api('DELETE', 'zones/default/')).status, 400);
      await r.api('POST', 'machines/', [['architecture', 'amd64'], ['mac_addresses', '52:54:00:aa:00:01'], ['zone', 'dc-one']]);
      assert.equal((await r.api('DELETE', 'zones/dc-one/')).status, 409);
    });

    test('resource pools: default is id 0; CRUD by id', async () => {
      const pools = (await r.api('GET', 'resourcepools/')).json();
      assert.deepEqual(pools[0], { name: 'default', description: 'Default pool', id: 0, resource_uri: '/MAAS/api/2.0/resourcepool/0/' });
      const p = (await r.api('POST', 'resourcepools/', [['name', 'ci'], ['description', 'for CI']])).json();
      assert.equal((await r.api('GET', `resourcepool/${p.id}/`)).json().name, 'ci');
      assert.equal((await r.api('PUT', `resourcepool/${p.id}/`, [['description', 'CI machines']])).json().description, 'CI machines');
      assert.equal((await r.api('DELETE', `resourcepool/${p.id}/`)).status, 204);
      assert.equal((await r.api('GET', `resourcepool/${p.id}/`)).status, 404);
      assert.equal((await r.api('DELETE', 'resourcepool/0/')).status, 400);
    });

    test('tags: CRUD, update_nodes with definition check, kernel_opts', async () => {
      const t = (await r.api('POST', 'tags/', [['name', 'gpu'], ['comment', 'has a GPU'], ['kernel_opts', 'nomodeset']])).json();
      assert.deepEqual(t, { name: 'gpu', definition: '', comment: 'has a GPU', kernel_opts: 'nomodeset', resource_uri: '/MAAS/api/2.0/tags/gpu/' });
      assert.equal((await r.api('POST', 'tags/', [['name', 'gpu']])).status, 400);
      assert.equal((await r.api('POST', 'tags/', [['name', 'bad'], ['definition', '//node[@id="x"']])).status, 400);
      const m = (await r.api('GET', 'machines/')).json()[0];
      assert.deepEqual((await r.api('POST', 'tags/gpu/?op=update_nodes', [['add', m.system_id]])).json(), { added: 1, removed: 0 });
      assert.deepEqual((await r.api('POST', 'tags/gpu/?op=update_nodes', [['add', m.system_id]])).json(), { added: 0, removed: 0 });
      assert.deepEqual((await r.api('GET', `machines/${m.system_id}/`)).json().tag_names, ['gpu']);
      const wrong = await r.api('POST', 'tags/gpu/?op=update_nodes', [['add', m.system_id], ['definition', 'x']]);
      assert.deepEqual([wrong.status, wrong.text], [409, "Definition supplied 'x' doesn't match current definition ''"]);
      assert.equal((await r.api('POST', 'tags/gpu/?op=update_nodes', [['add', 'nosuch']])).status, 400);
      assert.deepEqual((await r.api('POST', 'tags/gpu/op-update_nodes', [['remove', m.system_id]])).json(), { added: 0, removed: 1 }, 'op- path form');
      assert.equal((await r.api('PUT', 'tags/gpu/', [['comment', 'GPU nodes']])).json().comment, 'GPU nodes');
      assert.equal((await r.api('DELETE', 'tags/gpu/')).status, 204);
    });

    test('events: query by id, hostname, level; paging links', async () => {
      const m = (await r.api('POST', 'machines/', [['architecture', 'amd64'], ['mac_addresses', '52:54:00:aa:00:02'], ['hostname', 'ev-node']])).json();
      const { recordEvent } = await import('../../src/services/events.ts');
      const [{ id }] = await r.svc.db.query<{ id: number }>('select id from nodes where system_id = $1', [m.system_id]);
      for (let i = 0; i < 5; i++) await recordEvent(r.svc.db, { nodeId: id, hostname: 'ev-node', username: 'admin', level: 20, typeName: 'Note', description: `n${i}` });
      await recordEvent(r.svc.db, { nodeId: id, hostname: 'ev-node', username: 'admin', level: 10, typeName: 'Debug', description: 'quiet' });
      const q = (await r.api('GET', `events/?op=query&id=${m.system_id}&limit=3`)).json();
      assert.equal(q.count, 3);
      assert.deepEqual(q.events.map((e: { description: string }) => e.description), ['n4', 'n3', 'n2']);
      assert.match(q.events[0].created, /^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2}\. \d{4} \d{2}:\d{2}:\d{2}$/);
      assert.equal(q.events[0].node, m.system_id);
      const older = (await r.api('GET', q.next_uri.replace('/MAAS/api/2.0/', ''))).json();
      assert.deepEqual(older.events.map((e: { description: string }) => e.description), ['n1', 'n0', 'Created by admin']);
      const dbg = (await r.api('GET', 'events/?op=query&hostname=ev-node&level=DEBUG')).json();
      assert.ok(dbg.events.some((e: { type: string }) => e.type === 'Debug'));
      assert.equal((await r.api('GET', 'events/?op=query&level=LOUD')).status, 400);
      assert.equal((await r.api('GET', 'events/?op=query&limit=5000')).status, 400);
    });
  });
}
