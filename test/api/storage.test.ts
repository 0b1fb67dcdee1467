/**
 * Storage through the MAAS API, on both stores: the layouts on two-disk BIOS and UEFI machines, the
 * partition → format → mount flow, volume groups, RAID and bcache handlers, and the rules (Ready or
 * Allocated only; set_storage_layout Ready only and admin only). Disks are seeded through
 * BlockDevicesHandler and the status with SQL (the lifecycle is not part of this suite).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { BACKENDS } from '../helpers/backends.ts';
import { startTestRegion, type TestRegion } from '../helpers/region.ts';

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;
let macs = 0;

/** A machine with a 64 GiB rotary sda and a 16 GiB SSD sdb, in the given status and firmware. */
async function twoDiskMachine(r: TestRegion, firmware: 'bios' | 'uefi', status = 4): Promise<string> {
  macs += 1;
  const mac = `52:54:00:5a:${String(Math.floor(macs / 256)).padStart(2, '0')}:${(macs % 256).toString(16).padStart(2, '0')}`;
  const m = await r.api('POST', 'machines/', [['architecture', 'amd64/generic'], ['mac_addresses', mac], ['hostname', `st-${firmware}-${macs}`]]);
  assert.equal(m.status, 200, m.text);
  const sid = m.json().system_id as string;
  for (const [name, size, serial] of [['sda', '64G', 'Z1X2C3V4'], ['sdb', '16G', 'S5Y1NX0R']]) {
    const d = await r.api('POST', `nodes/${sid}/blockdevices/`, [['name', name], ['size', size], ['block_size', '512'], ['model', 'QEMU HARDDISK'], ['serial', serial]]);
    assert.equal(d.status, 200, d.text);
    const tag = await r.api('POST', `nodes/${sid}/blockdevices/${d.json().id}/?op=add_tag`, [['tag', name === 'sdb' ? 'ssd' : 'rotary']]);
    assert.equal(tag.status, 409, 'tags need Ready/Allocated; the machine is still New');
  }
  await r.svc.db.query('update nodes set status = $2, bios_boot_method = $3 where system_id = $1', [sid, status, firmware === 'uefi' ? 'uefi' : 'pxe']);
  const disks = (await r.api('GET', `nodes/${sid}/blockdevices/`)).json();
  for (const d of disks) await r.api('POST', `nodes/${sid}/blockdevices/${d.id}/?op=add_tag`, [['tag', d.name === 'sdb' ? 'ssd' : 'rotary']]);
  return sid;
}

type Json = any;
const devByName = (m: Json, name: string) => m.blockdevice_set.find((b: Json) => b.name === name);

/** Every mounted filesystem of a machine JSON: mount point → "fstype on device". */
function mounts(m: Json): Record<string, string> {
  const out: Record<string, string> = {};
  for (const b of m.blockdevice_set) {
    if (b.filesystem?.mount_point) out[b.filesystem.mount_point] = `${b.filesystem.fstype} on ${b.name}`;
    for (const p of b.partitions) if (p.filesystem?.mount_point) out[p.filesystem.mount_point] = `${p.filesystem.fstype} on ${p.path.split('/').at(-1)}`;
  }
  return out;
}

const LAYOUTS: Array<{ firmware: 'bios' | 'uefi'; layout: string; table: string | null; parts: string[]; mounts: Record<string, string>; groups: [number, number, number, number] }> = [
  { firmware: 'bios', layout: 'flat', table: 'MBR', parts: ['ext4 formatted filesystem mounted at /'], mounts: { '/': 'ext4 on sda-part1' }, groups: [0, 0, 0, 0] },
  { firmware: 'uefi', layout: 'flat', table: 'GPT', parts: ['fat32 formatted filesystem mounted at /boot/efi', 'ext4 formatted filesystem mounted at /'], mounts: { '/boot/efi': 'fat32 on sda-part1', '/': 'ext4 on sda-part2' }, groups: [0, 0, 0, 0] },
  { firmware: 'bios', layout: 'lvm', table: 'MBR', parts: ['lvm-pv for volume group vgroot'], mounts: { '/': 'ext4 on vgroot-lvroot' }, groups: [1, 0, 0, 0] },
  { firmware: 'uefi', layout: 'lvm', table: 'GPT', parts: ['fat32 formatted filesystem mounted at /boot/efi', 'lvm-pv for volume group vgroot'], mounts: { '/boot/efi': 'fat32 on sda-part1', '/': 'ext4 on vgroot-lvroot' }, groups: [1, 0, 0, 0] },
  { firmware: 'bios', layout: 'bcache', table: 'MBR', parts: ['ext4 formatted filesystem mounted at /boot', 'Backing device for bcache0'], mounts: { '/boot': 'ext4 on sda-part1', '/': 'ext4 on bcache0' }, groups: [0, 0, 1, 1] },
  { firmware: 'uefi', layout: 'bcache', table: 'GPT', parts: ['fat32 formatted filesystem mounted at /boot/efi', 'ext4 formatted filesystem mounted at /boot', 'Backing device for bcache0'], mounts: { '/boot/efi': 'fat32 on sda-part1', '/boot': 'ext4 on sda-part2', '/': 'ext4 on bcache0' }, groups: [0, 0, 1, 1] },
  { firmware: 'bios', layout: 'blank', table: null, parts: [], mounts: {}, groups: [0, 0, 0, 0] },
  { firmware: 'uefi', layout: 'blank', table: null, parts: [], mounts: {}, groups: [0, 0, 0, 0] },
];

for (const kind of BACKENDS) {
  describe(`storage API (${kind})`, () => {
    let r: TestRegion;
    const sids: Record<string, string> = {};
    before(async () => {
      r = await startTestRegion(kind);
      sids.bios = await twoDiskMachine(r, 'bios');
      sids.uefi = await twoDiskMachine(r, 'uefi');
    });
    after(async () => { await r.close(); });

    test('layouts on two-disk BIOS and UEFI machines', async () => {
      for (const c of LAYOUTS) {
        const sid = sids[c.firmware];
        const res = await r.api('POST', `machines/${sid}/?op=set_storage_layout`, [['storage_layout', c.layout]]);
        assert.equal(res.status, 200, `${c.firmware} ${c.layout}: ${res.text}`);
        const m = (await r.api('GET', `machines/${sid}/`)).json();
        const sda = devByName(m, 'sda');
        const label = `${c.firmware} ${c.layout}`;
        assert.equal(sda.partition_table_type, c.table, label);
        assert.deepEqual(sda.partitions.map((p: Json) => p.used_for), c.parts, label);
        assert.deepEqual(mounts(m), c.mounts, label);
        assert.deepEqual([m.volume_groups.length, m.raids.length, m.bcaches.length, m.cache_sets.length], c.groups, label);
        assert.equal(m.boot_disk.name, 'sda', label);
        assert.deepEqual(m.physicalblockdevice_set.map((b: Json) => b.name), ['sda', 'sdb'], label);
        // Partitions start at 1 MiB and follow each other; the ESP is 512 MiB and bootable.
        if (c.firmware === 'uefi' && c.table) assert.deepEqual([sda.partitions[0].size, sda.partitions[0].bootable], [512 * MiB, true], label);
        if (c.layout === 'lvm') {
          const [vg] = (await r.api('GET', `nodes/${sid}/volume-groups/`)).json();
          assert.equal(vg.name, 'vgroot');
          assert.deepEqual(vg.logical_volumes.map((lv: Json) => [lv.name, lv.filesystem.mount_point]), [['vgroot-lvroot', '/']]);
          assert.equal(vg.available_size, 0);
          assert.deepEqual(m.volume_groups, [{ system_id: sid, id: vg.id, __incomplete__: true }]);
          assert.equal((await r.api('GET', `nodes/${sid}/volume-groups/${vg.id}/`)).json().id, vg.id, 'volume-groups/{id}/ alias');
        }
        if (c.layout === 'bcache') {
          const [b] = (await r.api('GET', `nodes/${sid}/bcaches/`)).json();
          assert.deepEqual([b.name, b.cache_mode, b.cache_set.cache_device.path], ['bcache0', 'writethrough', '/dev/disk/by-dname/sdb-part1']);
          assert.equal(devByName(m, 'sdb').partitions[0].used_for, 'Cache device for cache0');
        }
      }
      const lvm = await r.api('POST', `machines/${sids.uefi}/?op=set_storage_layout`, [['storage_layout', 'lvm'], ['vg_name', 'system'], ['lv_name', 'root'], ['lv_size', '20G'], ['boot_size', '1G']]);
      assert.equal(lvm.status, 200, lvm.text);
      const [vg] = (await r.api('GET', `nodes/${sids.uefi}/volume-groups/`)).json();
      assert.deepEqual([vg.name, vg.logical_volumes[0].name, vg.logical_volumes[0].size], ['system', 'system-root', 20 * GiB]);
    });

    test('set_storage_layout: Ready only, admins only, parameters checked', async () => {
      const cases: Array<{ fields: Array<[string, string]>; key?: 'user'; status?: number; expect: number; match: RegExp }> = [
        { fields: [['storage_layout', 'zfs']], expect: 400, match: /storage_layout.*Unknown storage layout 'zfs'/ },
        { fields: [['storage_layout', 'flat'], ['boot_size', '1K']], expect: 400, match: /boot_size must be at least 512 MiB/ },
        { fields: [['storage_layout', 'flat'], ['root_size', '100G']], expect: 400, match: /root_size/ },
        { fields: [['storage_layout', 'flat'], ['root_device', 'sdz']], expect: 400, match: /root_device/ },
        { fields: [['storage_layout', 'lvm'], ['vg_name', '-bad']], expect: 400, match: /vg_name/ },
        { fields: [['storage_layout', 'bcache'], ['cache_mode', 'fastest']], expect: 400, match: /cache_mode/ },
        { fields: [['storage_layout', 'flat']], key: 'user', expect: 403, match: /reserved for admin/ },
        { fields: [['storage_layout', 'flat']], status: 10, expect: 409, match: /^Cannot change the storage layout on a machine that is not Ready\.$/ },
      ];
      const sid = sids.bios;
      for (const c of cases) {
        if (c.status) await r.svc.db.query('update nodes set status = $2 where system_id = $1', [sid, c.status]);
        const before = await r.svc.db.query('select version from nodes where system_id = $1', [sid]);
        const res = await r.api('POST', `machines/${sid}/?op=set_storage_layout`, c.fields, c.key === 'user' ? r.userKey : undefined);
        assert.equal(res.status, c.expect, `${JSON.stringify(c.fields)}: ${res.text}`);
        assert.match(res.text, c.match);
        assert.deepEqual(await r.svc.db.query('select version from nodes where system_id = $1', [sid]), before, 'a refused layout changes nothing');
        if (c.status) await r.svc.db.query('update nodes set status = 4 where system_id = $1', [sid]);
      }
    });

    test('partition, format, mount, unmount, unformat, delete', async () => {
      const sid = sids.bios;
      assert.equal((await r.api('POST', `machines/${sid}/?op=set_storage_layout`, [['storage_layout', 'flat']])).status, 200);
      const sdb = devByName((await r.api('GET', `machines/${sid}/`)).json(), 'sdb');
      const base = `nodes/${sid}/blockdevices/${sdb.id}`;
      const part = await r.api('POST', `${base}/partitions/`, [['size', '4G']]);
      assert.equal(part.status, 200, part.text);
      const p = part.json();
      assert.deepEqual([p.size, p.type, p.used_for, p.resource_uri], [4 * GiB, 'partition', 'Unused', `/MAAS/api/2.0/${base}/partition/${p.id}`]);
      assert.equal((await r.api('GET', `${base}/`)).json().partition_table_type, 'MBR', 'BIOS machine, small disk: MBR');
      const second = (await r.api('POST', `${base}/partitions/`, [])).json();
      assert.equal(second.size, 12 * GiB - 1 * MiB, 'no size: the rest of the disk');

      const steps: Array<[string, Array<[string, string]>, number, (j: Json, text: string) => void]> = [
        ['format', [['fstype', 'ext4'], ['label', 'data']], 200, (j) => assert.deepEqual([j.filesystem.fstype, j.filesystem.label, j.used_for], ['ext4', 'data', 'Unmounted ext4 formatted filesystem'])],
        ['mount', [['mount_point', 'srv']], 400, (_j, t) => assert.match(t, /mount_point.*absolute path/)],
        ['mount', [['mount_point', '/srv'], ['mount_options', 'noatime']], 200, (j) => assert.deepEqual([j.filesystem.mount_point, j.filesystem.mount_options, j.used_for], ['/srv', 'noatime', 'ext4 formatted filesystem mounted at /srv'])],
        ['unformat', [], 400, (_j, t) => assert.match(t, /Filesystem is mounted and cannot be unformatted/)],
        ['format', [['fstype', 'xfs']], 400, (_j, t) => assert.match(t, /mounted at \/srv/)],
        ['unmount', [], 200, (j) => assert.equal(j.filesystem.mount_point, null)],
        ['unmount', [], 400, (_j, t) => assert.match(t, /Filesystem is already unmounted/)],
        ['add_tag', [['tag', 'fast']], 200, (j) => assert.deepEqual(j.tags, ['fast'])],
        ['remove_tag', [['tag', 'fast']], 200, (j) => assert.deepEqual(j.tags, [])],
        ['unformat', [], 200, (j) => assert.equal(j.filesystem, null)],
        ['unformat', [], 400, (_j, t) => assert.match(t, /is not formatted/)],
        ['format', [['fstype', 'zfs']], 400, (_j, t) => assert.match(t, /Select a valid choice\. zfs/)],
        ['format', [['fstype', 'xfs'], ['uuid', '6d3b1e8c-0f55-4a5c-9d6e-2b7a8c9d0e1f']], 200, (j) => assert.deepEqual([j.filesystem.fstype, j.filesystem.uuid], ['xfs', '6d3b1e8c-0f55-4a5c-9d6e-2b7a8c9d0e1f'])],
      ];
      for (const [opName, fields, status, check] of steps) {
        const res = await r.api('POST', `${base}/partition/${p.id}?op=${opName}`, fields);
        assert.equal(res.status, status, `${opName} ${JSON.stringify(fields)}: ${res.text}`);
        check(status === 200 ? res.json() : undefined, res.text);
      }
      assert.equal((await r.api('GET', `${base}/partitions/${p.id}`)).json().filesystem.fstype, 'xfs', 'partitions/{id} alias');
      assert.equal((await r.api('GET', `${base}/partition/${p.id + 1000}`)).status, 404);
      assert.equal((await r.api('GET', `nodes/${sid}/blockdevices/${sdb.id}/partition/abc`)).text, 'No Partition matches the given query.');
      // The second mount at / clashes with the root filesystem.
      assert.equal((await r.api('POST', `${base}/partition/${second.id}?op=format`, [['fstype', 'ext4']])).status, 200);
      const clash = await r.api('POST', `${base}/partition/${second.id}?op=mount`, [['mount_point', '/']]);
      assert.equal(clash.status, 400);
      assert.match(clash.text, /Two filesystems are mounted at \//);
      assert.equal((await r.api('DELETE', `${base}/partition/${second.id}`)).status, 204);
      assert.deepEqual((await r.api('GET', `${base}/partitions/`)).json().map((x: Json) => x.id), [p.id]);

      // Whole-disk format and the boot disk; the machine JSON follows every change.
      const sda = devByName((await r.api('GET', `machines/${sid}/`)).json(), 'sda');
      const whole = await r.api('POST', `nodes/${sid}/blockdevices/${sda.id}/?op=format`, [['fstype', 'ext4']]);
      assert.equal(whole.status, 400, 'sda has a partition table');
      assert.equal((await r.api('POST', `nodes/${sid}/blockdevices/${sdb.id}/?op=set_boot_disk`)).text, 'OK');
      const m = (await r.api('GET', `machines/${sid}/`)).json();
      assert.equal(m.boot_disk.name, 'sdb');
      assert.equal(devByName(m, 'sdb').partitions[0].filesystem.fstype, 'xfs');
      assert.equal((await r.api('POST', `nodes/${sid}/blockdevices/${sda.id}/?op=set_boot_disk`, [], r.userKey)).status, 403);

      // Only Ready or Allocated machines; only admins or the owner.
      await r.svc.db.query('update nodes set status = 6 where system_id = $1', [sid]);
      const deployed = await r.api('POST', `${base}/partition/${p.id}?op=unformat`);
      assert.equal(deployed.status, 409);
      assert.match(deployed.text, /storage can only be changed when the machine is Ready or Allocated/);
      await r.svc.db.query('update nodes set status = 10 where system_id = $1', [sid]);
      assert.equal((await r.api('POST', `${base}/partition/${p.id}?op=mount`, [['mount_point', '/data']])).status, 200, 'Allocated is editable');
      assert.equal((await r.api('POST', `${base}/partition/${p.id}?op=unmount`, [], r.userKey)).status, 403, 'not the owner');
      await r.svc.db.query('update nodes set status = 4 where system_id = $1', [sid]);
    });

    test('volume groups and logical volumes', async () => {
      const sid = sids.uefi;
      assert.equal((await r.api('POST', `machines/${sid}/?op=set_storage_layout`, [['storage_layout', 'flat']])).status, 200);
      const sdb = devByName((await r.api('GET', `machines/${sid}/`)).json(), 'sdb');
      const vgRes = await r.api('POST', `nodes/${sid}/volume-groups/`, [['name', 'data'], ['block_devices', String(sdb.id)]]);
      assert.equal(vgRes.status, 200, vgRes.text);
      const vg = vgRes.json();
      assert.deepEqual([vg.name, vg.devices.map((d: Json) => d.name), vg.size], ['data', ['sdb'], 16 * GiB - 4 * MiB]);
      const again = await r.api('POST', `nodes/${sid}/volume-groups/`, [['name', 'other'], ['block_devices', 'sdb']]);
      assert.equal(again.status, 400);
      assert.match(again.text, /sdb is already in use \(lvm-pv for volume group data\)/);
      const big = await r.api('POST', `nodes/${sid}/volume-group/${vg.id}/?op=create_logical_volume`, [['name', 'lv1'], ['size', '20G']]);
      assert.equal(big.status, 400);
      assert.match(big.text, /Size is too large/);
      const lvRes = await r.api('POST', `nodes/${sid}/volume-group/${vg.id}/?op=create_logical_volume`, [['name', 'lv1'], ['size', '5G']]);
      assert.equal(lvRes.status, 200, lvRes.text);
      const lv = lvRes.json();
      assert.deepEqual([lv.name, lv.type, lv.size, lv.used_for], ['data-lv1', 'virtual', 5 * GiB, 'Unused']);
      assert.equal((await r.api('POST', `nodes/${sid}/blockdevices/${lv.id}/?op=format`, [['fstype', 'ext4']])).status, 200);
      assert.equal((await r.api('POST', `nodes/${sid}/blockdevices/${lv.id}/?op=mount`, [['mount_point', '/var/lib/data']])).status, 200);
      const resized = await r.api('PUT', `nodes/${sid}/blockdevices/${lv.id}/`, [['size', '6G']]);
      assert.equal(resized.json().size, 6 * GiB, resized.text);
      assert.equal((await r.api('GET', `nodes/${sid}/volume-group/${vg.id}/`)).json().used_size, 6 * GiB);
      const inUse = await r.api('POST', `nodes/${sid}/blockdevices/${sdb.id}/partitions/`, [['size', '1G']]);
      assert.equal(inUse.status, 400, 'sdb is a physical volume');
      const m = (await r.api('GET', `machines/${sid}/`)).json();
      assert.deepEqual(m.virtualblockdevice_set.map((b: Json) => [b.name, b.filesystem.mount_point]), [['data-lv1', '/var/lib/data']]);
      assert.equal((await r.api('POST', `nodes/${sid}/volume-group/${vg.id}/?op=delete_logical_volume`, [['id', String(lv.id)]])).status, 204);
      assert.deepEqual((await r.api('GET', `nodes/${sid}/volume-group/${vg.id}/`)).json().logical_volumes, []);
      assert.equal((await r.api('PUT', `nodes/${sid}/volume-group/${vg.id}/`, [['name', 'data2']])).json().name, 'data2');
      assert.equal((await r.api('DELETE', `nodes/${sid}/volume-group/${vg.id}/`)).status, 204);
      assert.equal(devByName((await r.api('GET', `machines/${sid}/`)).json(), 'sdb').used_for, 'Unused');
    });

    test('RAID, cache sets and bcache', async () => {
      const sid = sids.uefi;
      assert.equal((await r.api('POST', `machines/${sid}/?op=set_storage_layout`, [['storage_layout', 'blank']])).status, 200);
      const m0 = (await r.api('GET', `machines/${sid}/`)).json();
      const [sda, sdb] = [devByName(m0, 'sda'), devByName(m0, 'sdb')];
      const pa = (await r.api('POST', `nodes/${sid}/blockdevices/${sda.id}/partitions/`, [['size', '8G']])).json();
      const pb = (await r.api('POST', `nodes/${sid}/blockdevices/${sdb.id}/partitions/`, [['size', '8G']])).json();
      const pc = (await r.api('POST', `nodes/${sid}/blockdevices/${sda.id}/partitions/`, [['size', '8G']])).json();
      const one = await r.api('POST', `nodes/${sid}/raids/`, [['level', 'raid-1'], ['partitions', String(pa.id)]]);
      assert.equal(one.status, 400);
      assert.match(one.text, /raid-1 needs at least 2 active devices/);
      const raidRes = await r.api('POST', `nodes/${sid}/raids/`, [['level', 'raid-1'], ['partitions', String(pa.id)], ['partitions', 'sdb-part1'], ['spare_partitions', String(pc.id)]]);
      assert.equal(raidRes.status, 200, raidRes.text);
      const raid = raidRes.json();
      assert.deepEqual([raid.name, raid.level, raid.devices.length, raid.spare_devices.length, raid.virtual_device.name], ['md0', 'raid-1', 2, 1, 'md0']);
      assert.equal(raid.size, 8 * GiB - 129 * MiB, 'mirror of two 8 GiB members, less the md superblock reserve');
      const renamed = await r.api('PUT', `nodes/${sid}/raid/${raid.id}/`, [['name', 'mirror'], ['remove_spare_partitions', String(pc.id)]]);
      assert.deepEqual([renamed.json().name, renamed.json().spare_devices, renamed.json().virtual_device.name], ['mirror', [], 'mirror'], renamed.text);
      assert.equal((await r.api('POST', `nodes/${sid}/blockdevices/${raid.virtual_device.id}/?op=format`, [['fstype', 'ext4']])).status, 200);
      assert.equal((await r.api('DELETE', `nodes/${sid}/raid/${raid.id}/`)).status, 204);
      assert.equal((await r.api('GET', `nodes/${sid}/blockdevices/${sda.id}/partition/${pa.id}`)).json().used_for, 'Unused');

      const csRes = await r.api('POST', `nodes/${sid}/bcache-cache-sets/`, [['cache_partition', String(pb.id)]]);
      assert.equal(csRes.status, 200, csRes.text);
      const cs = csRes.json();
      assert.deepEqual([cs.name, cs.cache_device.id], ['cache0', pb.id]);
      const noMode = await r.api('POST', `nodes/${sid}/bcaches/`, [['cache_set', String(cs.id)], ['backing_partition', String(pa.id)]]);
      assert.equal(noMode.status, 400);
      assert.deepEqual(noMode.json(), { cache_mode: ['This field is required.'] });
      const bRes = await r.api('POST', `nodes/${sid}/bcaches/`, [['cache_set', 'cache0'], ['backing_partition', String(pa.id)], ['cache_mode', 'writeback']]);
      assert.equal(bRes.status, 200, bRes.text);
      const b = bRes.json();
      assert.deepEqual([b.name, b.cache_mode, b.backing_device.id, b.virtual_device.name], ['bcache0', 'writeback', pa.id, 'bcache0']);
      const busy = await r.api('DELETE', `nodes/${sid}/bcache-cache-set/${cs.id}/`);
      assert.equal(busy.status, 400);
      assert.match(busy.text, /Cannot delete cache set; it's currently in use\./);
      assert.equal((await r.api('PUT', `nodes/${sid}/bcache/${b.id}/`, [['cache_mode', 'writearound']])).json().cache_mode, 'writearound');
      const m = (await r.api('GET', `machines/${sid}/`)).json();
      assert.deepEqual([m.bcaches, m.cache_sets], [[{ system_id: sid, id: b.id, __incomplete__: true }], [{ system_id: sid, id: cs.id, __incomplete__: true }]]);
      assert.equal((await r.api('DELETE', `nodes/${sid}/bcache/${b.id}/`)).status, 204);
      assert.equal((await r.api('DELETE', `nodes/${sid}/bcache-cache-set/${cs.id}/`)).status, 204);
      assert.deepEqual((await r.api('GET', `nodes/${sid}/bcache-cache-sets/`)).json(), []);
    });

    test('special filesystems and physical block devices', async () => {
      const sid = sids.bios;
      const mounted = await r.api('POST', `machines/${sid}/?op=mount_special`, [['fstype', 'tmpfs'], ['mount_point', '/run/scratch'], ['mount_options', 'size=1G']]);
      assert.equal(mounted.status, 200, mounted.text);
      assert.deepEqual(mounted.json().special_filesystems.map((f: Json) => [f.fstype, f.mount_point, f.mount_options]), [['tmpfs', '/run/scratch', 'size=1G']]);
      assert.equal((await r.api('POST', `machines/${sid}/?op=mount_special`, [['fstype', 'ext4'], ['mount_point', '/x']])).status, 400);
      assert.deepEqual((await r.api('POST', `machines/${sid}/?op=unmount_special`, [['mount_point', '/run/scratch']])).json().special_filesystems, []);

      const bad = await r.api('POST', `nodes/${sid}/blockdevices/`, [['name', 'sdc'], ['size', '1G'], ['block_size', '512']]);
      assert.deepEqual([bad.status, bad.json()], [400, { __all__: ['serial/model are required if id_path is not provided.'] }]);
      const dup = await r.api('POST', `nodes/${sid}/blockdevices/`, [['name', 'sda'], ['size', '1G'], ['block_size', '512'], ['id_path', '/dev/vdz']]);
      assert.equal(dup.status, 400);
      const sdc = await r.api('POST', `nodes/${sid}/blockdevices/`, [['name', 'sdc'], ['size', '1G'], ['block_size', '4096'], ['id_path', '/dev/disk/by-id/wwn-0x1']]);
      assert.equal(sdc.status, 200, sdc.text);
      assert.equal((await r.api('POST', `nodes/${sid}/blockdevices/`, [['name', 'sdd'], ['size', '1G'], ['block_size', '512'], ['id_path', '/x']], r.userKey)).status, 403);
      const upd = await r.api('PUT', `nodes/${sid}/blockdevices/${sdc.json().id}/`, [['name', 'sdc1x'], ['model', 'NVMe']]);
      assert.deepEqual([upd.json().name, upd.json().model], ['sdc1x', 'NVMe'], upd.text);
      assert.equal((await r.api('DELETE', `nodes/${sid}/blockdevices/${sdc.json().id}/`)).status, 204);
      const sda = devByName((await r.api('GET', `machines/${sid}/`)).json(), 'sda');
      const used = await r.api('DELETE', `nodes/${sid}/blockdevices/${sda.id}/`);
      assert.equal(used.status, 400, 'sda holds the root partition');
      assert.equal((await r.api('GET', `nodes/${sid}/blockdevices/${sdc.json().id}/`)).status, 404);
    });
  });
}
