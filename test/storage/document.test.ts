/** The storage document: building trees, idempotence, atomicity, export round trips, errors. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyDocument } from '../../src/domain/storage/document.ts';
import { exportDocument } from '../../src/domain/storage/document-export.ts';
import { validateDocument } from '../../src/domain/storage/document-validate.ts';
import { applyLayout } from '../../src/domain/storage/layouts/index.ts';
import { deviceName, filesystemOn, partitionsOf } from '../../src/domain/storage/tree.ts';
import { GiB, MiB } from '../../src/domain/storage/units.ts';
import type { SeedFn, StorageTree } from '../../src/domain/storage/types.ts';
import type { StorageDocument } from '../../src/domain/storage/document-types.ts';
import { deepFreeze, disk, seedFn, twoDiskMachine } from './fixtures.ts';
import { customDocument } from './documents.ts';

const noSeed: SeedFn = () => { throw new Error('the seed was used'); };
const ok = (t: StorageTree, doc: unknown, seed = seedFn(), opts = {}) => {
  const r = applyDocument(t, doc, seed, opts);
  assert.ok(r.tree, JSON.stringify(r.errors, null, 1));
  return r.tree;
};
const fourDisks = (): StorageTree => ({
  ...twoDiskMachine('uefi'),
  block_devices: [1, 2, 3, 4].map((i) => disk(i, `sd${'abcd'[i - 1]}`, 32 * GiB, { tags: i === 4 ? ['ssd'] : ['rotary'] })),
});
const ESP = { size: '512M', filesystem: { fstype: 'fat32', mount_point: '/boot/efi' } };

test('the custom golden document builds RAID-1 + LVM + XFS + swap + tmpfs', () => {
  const t = ok(twoDiskMachine('uefi'), customDocument('uefi'));
  const names = t.block_devices.map((d) => deviceName(t, d));
  assert.deepEqual(names, ['sda', 'sdb', 'md0', 'vg0-root', 'vg0-home']);
  assert.equal(t.raids[0].level, 'raid-1');
  assert.deepEqual(t.filesystems.map((f) => f.fstype).sort(), ['btrfs', 'ext4', 'ext4', 'fat32', 'lvm-pv', 'raid', 'raid', 'swap', 'tmpfs', 'xfs']);
  assert.equal(partitionsOf(t, 1)[0].bootable, true, 'a /boot/efi partition is bootable by default');
});

test('applying a document twice gives an identical tree and draws no new UUIDs', () => {
  for (const fw of ['bios', 'uefi'] as const) {
    const once = ok(twoDiskMachine(fw), customDocument(fw));
    const twice = ok(deepFreeze(once), customDocument(fw), noSeed);
    assert.deepEqual(twice, once);
  }
});

test('a failing document changes nothing (atomic) and reports errors', () => {
  const current = deepFreeze(ok(twoDiskMachine('uefi'), customDocument('uefi')));
  const before = JSON.stringify(current);
  const bad = { ...customDocument('uefi'), volume_groups: [{ name: 'vg0', devices: ['md0'], logical_volumes: [{ name: 'root', size: '500G', filesystem: { fstype: 'ext4', mount_point: '/' } }] }] };
  const r = applyDocument(current, bad, seedFn());
  assert.ok(r.errors && r.errors.length > 0);
  assert.match(r.errors.map((e) => e.message).join('\n'), /need .* but the volume group holds only/);
  assert.equal(JSON.stringify(current), before);
});

test('export → apply reproduces every layout exactly', () => {
  for (const fw of ['bios', 'uefi'] as const) {
    for (const name of ['flat', 'lvm', 'bcache', 'blank']) {
      const r = applyLayout(twoDiskMachine(fw), name, {}, seedFn());
      assert.ok(r.tree);
      const doc = JSON.parse(JSON.stringify(exportDocument(r.tree))) as StorageDocument;
      assert.deepEqual(ok(r.tree, doc, noSeed, { deployable: name !== 'blank' }), r.tree, `${fw} ${name}`);
    }
  }
});

test('an exported document builds the same layout on a blank machine', () => {
  const original = ok(twoDiskMachine('uefi'), customDocument('uefi'));
  const doc = exportDocument(original);
  const rebuilt = ok(twoDiskMachine('uefi'), doc, seedFn(1234));
  assert.deepEqual(exportDocument(rebuilt), doc);
});

test('groups build on each other in any document order: VG on a RAID partition, bcache on a RAID', () => {
  const doc = {
    volume_groups: [{ name: 'vg0', devices: ['md0-part1'], logical_volumes: [{ name: 'root', size: '8G', filesystem: { fstype: 'ext4', mount_point: '/' } }] }],
    bcaches: [{ name: 'bcache0', backing: 'md1', cache: 'sdd-part1', filesystem: { fstype: 'xfs', mount_point: '/srv' } },
      { name: 'bcache1', backing: 'sdc-part2', cache: 'sdd-part1', cache_mode: 'writeback', filesystem: { fstype: 'ext4', mount_point: '/var' } }],
    raids: [
      { name: 'md0', level: 'raid-1', devices: ['sda-part2', 'sdb-part1'], ptable: 'gpt', partitions: [{ size: '10G' }] },
      { name: 'md1', level: 'raid-0', devices: ['sda-part3', 'sdc-part1'] },
    ],
    disks: [
      { disk: 'sda', partitions: [ESP, { size: '12G' }, {}] },
      { disk: 'sdb', partitions: [{ size: '12G' }] },
      { disk: 'sdc', partitions: [{ size: '19G' }, {}] },
      { disk: 'sdd', partitions: [{ size: '8G' }] },
    ],
  };
  const t = ok(fourDisks(), doc);
  assert.equal(t.cache_sets.length, 1, 'bcaches naming one cache device share its cache set');
  assert.deepEqual(t.block_devices.filter((d) => d.type === 'virtual').map((d) => deviceName(t, d)), ['md0', 'md1', 'vg0-root', 'bcache0', 'bcache1']);
  assert.equal(t.bcaches[1].cache_mode, 'writeback');
  const md0 = t.block_devices.find((d) => d.name === 'md0')!;
  assert.equal(md0.partition_table, 'GPT');
  assert.equal(filesystemOn(t, { kind: 'partition', id: partitionsOf(t, md0.id)[0].id })?.fstype, 'lvm-pv');
});

test('partition and LV sizes: percentages, rounding, explicit offsets', () => {
  const t = ok(twoDiskMachine('uefi'), {
    disks: [{ disk: 'sda', partitions: [ESP, { size: '10%', filesystem: { fstype: 'ext4', mount_point: '/' } }, { offset: '20G', size: 1000000000, filesystem: { fstype: 'ext4', mount_point: '/srv' } }] }],
  });
  const parts = partitionsOf(t, 1);
  assert.equal(parts[1].size, Math.floor((64 * GiB - 2 * MiB) / 10 / MiB) * MiB);
  assert.equal(parts[2].offset, 20 * GiB);
  assert.equal(parts[2].size, 953 * MiB, 'sizes round down to 1 MiB');
});

test('fresh UUIDs never repeat one in use, even from a degenerate seed', () => {
  for (const seed of [() => 0, () => 0xffffffff, seedFn(5)]) {
    const t = ok(twoDiskMachine('uefi'), customDocument('uefi'), seed);
    const uuids = [...t.partitions.map((p) => p.uuid), ...t.filesystems.map((f) => f.uuid), ...t.volume_groups.map((v) => v.uuid), ...t.raids.map((r) => r.uuid)];
    assert.equal(new Set(uuids).size, uuids.length);
  }
});

test('deployable can be turned off for partial documents', () => {
  const doc = { disks: [{ disk: 'sdb', filesystem: { fstype: 'ext4', mount_point: '/data' } }] };
  assert.ok(applyDocument(twoDiskMachine('uefi'), doc, seedFn()).errors);
  ok(twoDiskMachine('uefi'), doc, seedFn(), { deployable: false });
});

const bad: { name: string; doc: unknown; field?: string; expect: RegExp }[] = [
  { name: 'not an object', doc: [], field: 'document', expect: /must be an object/ },
  { name: 'null', doc: null, expect: /must be an object/ },
  { name: 'unknown top-level field', doc: { disk: [] }, field: 'disk', expect: /Unknown field 'disk'/ },
  { name: 'disks not a list', doc: { disks: {} }, field: 'disks', expect: /must be a list/ },
  { name: 'disk without name', doc: { disks: [{}] }, field: 'disks[0].disk', expect: /'disk' is required/ },
  { name: 'bad size', doc: { disks: [{ disk: 'sda', partitions: [{ size: 'huge' }] }] }, field: 'disks[0].partitions[0].size', expect: /'huge' is not a size/ },
  { name: 'zero size', doc: { disks: [{ disk: 'sda', partitions: [{ size: 0 }] }] }, field: 'disks[0].partitions[0].size', expect: /more than zero/ },
  { name: 'bad ptable', doc: { disks: [{ disk: 'sda', ptable: 'apm' }] }, field: 'disks[0].ptable', expect: /must be one of gpt, mbr/ },
  { name: 'unknown fstype', doc: { disks: [{ disk: 'sdb', filesystem: { fstype: 'zfs' } }] }, field: 'disks[0].filesystem.fstype', expect: /must be one of ext2, ext4/ },
  { name: 'internal fstype', doc: { disks: [{ disk: 'sdb', filesystem: { fstype: 'lvm-pv' } }] }, field: 'disks[0].filesystem.fstype', expect: /set by listing the device in a volume group/ },
  { name: 'fstype missing', doc: { disks: [{ disk: 'sdb', filesystem: {} }] }, field: 'disks[0].filesystem.fstype', expect: /'fstype' is required/ },
  { name: 'bad RAID level', doc: { raids: [{ name: 'md0', level: 'raid-4', devices: ['sda'] }] }, field: 'raids[0].level', expect: /must be one of raid-0/ },
  { name: 'RAID devices not a list', doc: { raids: [{ name: 'md0', level: 'raid-1', devices: 'sda' }] }, field: 'raids[0].devices', expect: /list of device names/ },
  { name: 'bootable not boolean', doc: { disks: [{ disk: 'sda', partitions: [{ bootable: 'yes' }] }] }, field: 'disks[0].partitions[0].bootable', expect: /true or false/ },
  { name: 'bad cache mode', doc: { bcaches: [{ name: 'b', backing: 'sda', cache: 'sdb', cache_mode: 'fast' }] }, field: 'bcaches[0].cache_mode', expect: /writeback, writethrough, writearound/ },
  { name: 'special filesystem not in memory', doc: { special_filesystems: [{ fstype: 'ext4', mount_point: '/x' }] }, field: 'special_filesystems[0].fstype', expect: /tmpfs or ramfs/ },
  { name: 'unknown disk', doc: { disks: [{ disk: 'sdz', filesystem: { fstype: 'ext4', mount_point: '/' } }] }, field: 'disks[0].disk', expect: /no physical disk 'sdz'/ },
  { name: 'unknown disk id', doc: { disks: [{ disk: 9 }] }, field: 'disks[0].disk', expect: /no physical disk '9'/ },
  { name: 'disk id as digits', doc: { disks: [{ disk: '2', filesystem: { fstype: 'ext4', mount_point: '/' } }, { disk: 2 }] }, field: 'disks[1].disk', expect: /Disk sdb is listed more than once/ },
  { name: 'duplicate filesystem UUIDs', doc: { disks: [{ disk: 'sda', partitions: [ESP, { filesystem: { fstype: 'ext4', mount_point: '/', uuid: '11111111-2222-4333-8444-555555555555' } }] }, { disk: 'sdb', filesystem: { fstype: 'ext4', mount_point: '/srv', uuid: '11111111-2222-4333-8444-555555555555' } }] }, expect: /given to two filesystems/ },
  { name: 'disk listed twice', doc: { disks: [{ disk: 'sda' }, { disk: 1 }] }, field: 'disks[1].disk', expect: /listed more than once/ },
  { name: 'filesystem and partitions on one disk', doc: { disks: [{ disk: 'sda', filesystem: { fstype: 'ext4' }, partitions: [{}] }] }, field: 'disks[0]', expect: /both a filesystem and a partition table/ },
  { name: 'size left out before the last partition', doc: { disks: [{ disk: 'sda', partitions: [{}, { size: '1G' }] }] }, field: 'disks[0].partitions[0].size', expect: /Only the last partition may leave out its size/ },
  { name: 'no space left', doc: { disks: [{ disk: 'sdb', partitions: [{ size: '16G' }, {}] }] }, expect: /No space is left on sdb|does not fit on sdb/ },
  { name: 'unknown member', doc: { volume_groups: [{ name: 'vg0', devices: ['sdq'] }] }, field: 'volume_groups[0].devices[0]', expect: /No device or partition named 'sdq'/ },
  { name: 'groups built from each other', doc: { raids: [{ name: 'md0', level: 'raid-1', devices: ['bcache0', 'sda'] }], bcaches: [{ name: 'bcache0', backing: 'md0', cache: 'sdb' }] }, expect: /No device or partition named '(md0|bcache0)' \(or it is built from this group, which would be a loop\)/ },
  { name: 'LV size left out before the last', doc: { volume_groups: [{ name: 'vg0', devices: ['sda'], logical_volumes: [{ name: 'a' }, { name: 'b', size: '1G' }] }] }, field: 'volume_groups[0].logical_volumes[0].size', expect: /Only the last logical volume/ },
  { name: 'RAID with too few devices', doc: { disks: [{ disk: 'sda', partitions: [ESP, { size: '8G', filesystem: { fstype: 'ext4', mount_point: '/' } }, {}] }], raids: [{ name: 'md0', level: 'raid-5', devices: ['sda-part3', 'sdb'] }] }, expect: /raid-5 needs at least 3 active devices; md0 has 2/ },
  { name: 'a device used twice', doc: { disks: [{ disk: 'sda', partitions: [ESP, { filesystem: { fstype: 'ext4', mount_point: '/' } }] }], volume_groups: [{ name: 'vg0', devices: ['sda-part2'] }] }, expect: /sda-part2 is used twice/ },
  { name: 'no root filesystem', doc: { disks: [{ disk: 'sda', partitions: [ESP, { filesystem: { fstype: 'ext4', mount_point: '/srv' } }] }] }, expect: /No filesystem is mounted at \// },
  { name: 'no ESP on UEFI', doc: { disks: [{ disk: 'sda', partitions: [{ filesystem: { fstype: 'ext4', mount_point: '/' } }] }] }, expect: /no EFI system partition/ },
  { name: 'two roots', doc: { disks: [{ disk: 'sda', partitions: [ESP, { filesystem: { fstype: 'ext4', mount_point: '/' } }] }, { disk: 'sdb', filesystem: { fstype: 'xfs', mount_point: '/' } }] }, expect: /Two filesystems are mounted at \// },
  { name: 'MBR with five partitions', doc: { disks: [{ disk: 'sdb', ptable: 'mbr', partitions: [{ size: '1G' }, { size: '1G' }, { size: '1G' }, { size: '1G' }, { size: '1G' }] }] }, expect: /a MBR table holds at most 4/ },
  { name: 'overlapping explicit offsets', doc: { disks: [{ disk: 'sdb', partitions: [{ size: '2G' }, { offset: '1G', size: '1G' }] }] }, expect: /overlap/ },
  { name: 'unknown boot disk', doc: { boot_disk: 'nvme0n1' }, field: 'boot_disk', expect: /no physical disk 'nvme0n1'/ },
  { name: 'relative mount point', doc: { disks: [{ disk: 'sdb', filesystem: { fstype: 'ext4', mount_point: 'data' } }] }, expect: /must be an absolute path/ },
  { name: 'swap with a mount point', doc: { disks: [{ disk: 'sdb', filesystem: { fstype: 'swap', mount_point: '/swap' } }] }, expect: /cannot have a mount point/ },
];
for (const c of bad) {
  test(`document error: ${c.name}`, () => {
    const r = applyDocument(twoDiskMachine('uefi'), c.doc, seedFn());
    assert.ok(r.errors, 'expected errors');
    assert.ok(r.errors.some((e) => c.expect.test(e.message) && (c.field === undefined || e.field === c.field)), JSON.stringify(r.errors, null, 1));
  });
}

test('validateDocument accepts the golden documents and reports every problem at once', () => {
  assert.ok(validateDocument(customDocument('uefi')).doc);
  const r = validateDocument({ disks: [{ disk: 'sda', partitions: [{ size: 'x' }, { size: -1, tags: [1] }] }], raids: [{}] });
  assert.ok(r.errors);
  const fields = r.errors.map((e) => e.field);
  for (const f of ['disks[0].partitions[0].size', 'disks[0].partitions[1].size', 'disks[0].partitions[1].tags[0]', 'raids[0].name', 'raids[0].level', 'raids[0].devices']) {
    assert.ok(fields.includes(f), `missing ${f} in ${JSON.stringify(fields)}`);
  }
});
