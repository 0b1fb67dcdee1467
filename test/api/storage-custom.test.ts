/**
 * MAAS's `custom` storage layout: the layout commissioning reports is stored per machine and applied by
 * `set_storage_layout storage_layout=custom`. Commissioning is another component: the test stores the
 * layout through the service function commissioning calls.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { storeCustomStorageLayout } from '../../src/services/storage/custom.ts';
import { BACKENDS } from '../helpers/backends.ts';
import { startTestRegion, type TestRegion } from '../helpers/region.ts';

const LAYOUT = {
  disks: [
    { disk: 'sda', ptable: 'gpt', partitions: [
      { size: '512M', filesystem: { fstype: 'fat32', label: 'efi', mount_point: '/boot/efi' } },
      { filesystem: { fstype: 'xfs', label: 'root', mount_point: '/' } },
    ] },
  ],
};

for (const kind of BACKENDS) {
  describe(`custom storage layout (${kind})`, () => {
    let r: TestRegion;
    let sid: string;
    before(async () => {
      r = await startTestRegion(kind);
      sid = (await r.api('POST', 'machines/', [['architecture', 'amd64/generic'], ['mac_addresses', '52:54:00:c5:00:01'], ['hostname', 'cust-1']])).json().system_id;
      for (const [name, size] of [['sda', '64G'], ['sdb', '16G']]) {
        assert.equal((await r.api('POST', `nodes/${sid}/blockdevices/`, [['name', name], ['size', size], ['block_size', '512'], ['model', 'QEMU HARDDISK'], ['serial', `cust-${name}`]])).status, 200);
      }
    });
    after(async () => { await r.close(); });

    const setCustom = () => r.api('POST', `machines/${sid}/?op=set_storage_layout`, [['storage_layout', 'custom']]);

    test('not Ready → 409 before anything else', async () => {
      assert.equal((await setCustom()).status, 409);
    });

    test('no reported layout → 400 saying so; nothing stored changes', async () => {
      await r.svc.db.query("update nodes set status = 4, bios_boot_method = 'uefi' where system_id = $1", [sid]);
      const before = (await r.api('GET', `nodes/${sid}/storage/`)).text;
      const res = await setCustom();
      assert.equal(res.status, 400);
      assert.match(res.json().storage_layout[0], /no custom storage layout: commissioning did not report one/);
      assert.equal((await r.api('GET', `nodes/${sid}/storage/`)).text, before);
    });

    test('an invalid reported layout is refused when stored', async () => {
      await assert.rejects(storeCustomStorageLayout(r.svc, sid, { disks: 'everything' }));
    });

    test('the reported layout is applied, idempotently', async () => {
      await storeCustomStorageLayout(r.svc, sid, LAYOUT);
      const res = await setCustom();
      assert.equal(res.status, 200, res.text);
      const sda = res.json().blockdevice_set.find((b: any) => b.name === 'sda');
      assert.equal(sda.partition_table_type, 'GPT');
      assert.deepEqual(sda.partitions.map((p: any) => [p.filesystem.fstype, p.filesystem.mount_point]), [['fat32', '/boot/efi'], ['xfs', '/']]);
      const again = await setCustom();
      assert.deepEqual(again.json().blockdevice_set, res.json().blockdevice_set, 'same ids and uuids');
      assert.equal((await r.api('POST', `machines/${sid}/?op=set_storage_layout`, [['storage_layout', 'custom']], r.userKey)).status, 403);
    });
  });
}
