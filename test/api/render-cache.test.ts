/**
 * Cached machine JSON stays exact: every change to a machine, its parts, or a shared object embedded in
 * it shows in the next read. Also guards the rule of migration 002: every table with a node_id column
 * carries the version-bump trigger.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { BACKENDS } from '../helpers/backends.ts';
import { startTestRegion, type TestRegion } from '../helpers/region.ts';

for (const kind of BACKENDS) {
  describe(`machine JSON cache (${kind})`, () => {
    let r: TestRegion;
    before(async () => { r = await startTestRegion(kind); });
    after(async () => { await r.close(); });

    test('every table with node_id bumps the machine version', async () => {
      const tables = await r.svc.db.query<{ table_name: string }>(
        "select table_name from information_schema.columns where column_name = 'node_id' and table_schema = current_schema() and table_name not in ('events', 'api_tokens')");
      for (const { table_name } of tables) {
        const trig = await r.svc.db.query(
          "select 1 from information_schema.triggers where event_object_table = $1 and action_statement like '%plinth_bump_node%'", [table_name]);
        assert.ok(trig.length >= 1, `${table_name} has no plinth_bump_node trigger`);
      }
    });

    test('reads reflect changes to the machine, its parts and shared objects', async () => {
      const m = (await r.api('POST', 'machines/', [['architecture', 'amd64'], ['mac_addresses', '52:54:00:dd:00:01'], ['hostname', 'c-1']])).json();
      const read = async () => (await r.api('GET', `machines/${m.system_id}/`)).json();
      const list = async () => (await r.api('GET', 'machines/')).json().find((x: { system_id: string }) => x.system_id === m.system_id);
      assert.equal((await read()).hostname, 'c-1');
      await list();
      await r.api('PUT', `machines/${m.system_id}/`, [['hostname', 'c-2']]);
      assert.equal((await read()).hostname, 'c-2');
      assert.equal((await list()).hostname, 'c-2');
      await r.api('POST', 'tags/', [['name', 't1']]);
      await r.api('POST', 'tags/t1/?op=update_nodes', [['add', m.system_id]]);
      assert.deepEqual((await list()).tag_names, ['t1']);
      await r.api('PUT', 'tags/t1/', [['name', 't2']]);
      assert.deepEqual((await read()).tag_names, ['t2'], 'tag rename (epoch)');
      await r.api('PUT', 'zones/default/', [['description', 'the default zone']]);
      assert.equal((await list()).zone.description, 'the default zone', 'zone edit (epoch)');
      const [{ id }] = await r.svc.db.query<{ id: number }>('select id from nodes where system_id = $1', [m.system_id]);
      await r.svc.db.query("insert into block_devices (node_id, name, size) values ($1, 'sdz', 1000000000)", [id]);
      assert.deepEqual((await read()).blockdevice_set.map((b: { name: string }) => b.name), ['sdz'], 'new block device');
      await r.svc.db.query("update interfaces set name = 'enp1s0' where node_id = $1", [id]);
      assert.equal((await list()).interface_set[0].name, 'enp1s0', 'interface rename');
      await r.api('DELETE', `machines/${m.system_id}/`);
      assert.equal((await r.api('GET', `machines/${m.system_id}/`)).status, 404);
    });
  });
}
