/**
 * Validation rules, one table row each: start from a valid tree, break one thing, expect an error
 * whose message says what is wrong. Also: the starting trees are valid, and canEditStorage.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyDocument } from '../../src/domain/storage/document.ts';
import { applyLayout } from '../../src/domain/storage/layouts/index.ts';
import { canEditStorage, validateTree } from '../../src/domain/storage/validate.ts';
import { GiB, MiB } from '../../src/domain/storage/units.ts';
import type { FsType, StorageTree } from '../../src/domain/storage/types.ts';
import { seedFn, twoDiskMachine } from './fixtures.ts';
import { customDocument } from './documents.ts';

const clone = (t: StorageTree): StorageTree => JSON.parse(JSON.stringify(t)) as StorageTree;
const layout = (fw: 'bios' | 'uefi', name: string, params = {}) => {
  const r = applyLayout(twoDiskMachine(fw), name, params, seedFn());
  assert.ok(r.tree, JSON.stringify(r.errors));
  return r.tree;
};
const custom = (fw: 'bios' | 'uefi') => {
  const r = applyDocument(twoDiskMachine(fw), customDocument(fw), seedFn());
  assert.ok(r.tree, JSON.stringify(r.errors));
  return r.tree;
};
const BASES: Record<string, () => StorageTree> = {
  uefiFlat: () => layout('uefi', 'flat'),
  biosFlat: () => layout('bios', 'flat'),
  biosGptFlat: () => { const t = layout('bios', 'flat'); return t; },
  uefiLvm: () => layout('uefi', 'lvm'),
  uefiBcache: () => layout('uefi', 'bcache'),
  uefiCustom: () => custom('uefi'),
  biosCustom: () => custom('bios'),
};

const part = (t: StorageTree, dev: string, n: number) => {
  const d = t.block_devices.find((x) => x.name === dev)!;
  return t.partitions.find((p) => p.device_id === d.id && p.number === n)!;
};
const fsAt = (t: StorageTree, mp: string) => t.filesystems.find((f) => f.mount_point === mp)!;
const fsOfType = (t: StorageTree, fstype: string) => t.filesystems.find((f) => f.fstype === fstype)!;
const dev = (t: StorageTree, name: string) => t.block_devices.find((d) => d.name === name)!;
const U = '11111111-2222-4333-8444-555555555555';

interface Row { name: string; base: keyof typeof BASES; mutate: (t: StorageTree) => void; expect: RegExp; deployable?: boolean }
const rows: Row[] = [
  { name: 'two filesystems on one mount point', base: 'uefiCustom', mutate: (t) => { fsAt(t, '/srv').mount_point = '/home'; }, expect: /Two filesystems are mounted at \/home/ },
  { name: 'partition past the end of the disk', base: 'biosFlat', mutate: (t) => { part(t, 'sda', 1).size += MiB; }, expect: /does not fit on sda/ },
  { name: 'partition into the backup GPT area', base: 'uefiFlat', mutate: (t) => { part(t, 'sda', 2).size += MiB; }, expect: /backup GPT/ },
  { name: 'overlapping partitions', base: 'uefiFlat', mutate: (t) => { part(t, 'sda', 2).offset -= MiB; }, expect: /overlap/ },
  { name: 'partition not 1 MiB aligned', base: 'uefiFlat', mutate: (t) => { part(t, 'sda', 2).offset += 4096; part(t, 'sda', 2).size -= MiB; }, expect: /1 MiB boundary/ },
  { name: 'partition inside the table area', base: 'biosFlat', mutate: (t) => { part(t, 'sda', 1).offset = 0; }, expect: /start at 1 MiB or later/ },
  { name: 'partition size zero', base: 'biosFlat', mutate: (t) => { part(t, 'sda', 1).size = 0; }, expect: /positive/ },
  { name: 'duplicate partition numbers', base: 'uefiFlat', mutate: (t) => { part(t, 'sda', 2).number = 1; }, expect: /two partitions numbered 1/ },
  { name: 'no root filesystem', base: 'uefiFlat', mutate: (t) => { fsAt(t, '/').mount_point = '/data'; }, expect: /No filesystem is mounted at \//, deployable: true },
  { name: 'UEFI boot disk without an ESP', base: 'uefiFlat', mutate: (t) => { fsAt(t, '/boot/efi').mount_point = '/efi'; }, expect: /no EFI system partition/, deployable: true },
  { name: 'ESP not bootable', base: 'uefiFlat', mutate: (t) => { part(t, 'sda', 1).bootable = false; }, expect: /must be marked bootable/, deployable: true },
  { name: 'UEFI boot disk with MBR', base: 'uefiFlat', mutate: (t) => { dev(t, 'sda').partition_table = 'MBR'; }, expect: /must use GPT on a UEFI machine/, deployable: true },
  { name: 'BIOS GPT boot disk without bios_grub', base: 'uefiFlat', mutate: (t) => { t.firmware = 'bios'; }, expect: /no bios_grub partition/, deployable: true },
  { name: 'boot disk without a partition table', base: 'uefiCustom', mutate: (t) => { t.boot_disk_id = 2; dev(t, 'sdb').partition_table = null; t.partitions = t.partitions.filter((p) => p.device_id !== 2); t.filesystems = t.filesystems.filter((f) => !(f.on?.kind === 'partition' && !t.partitions.some((p) => p.id === f.on!.id))); }, expect: /Boot disk sdb has no partition table/, deployable: true },
  { name: 'ppc64el without PReP', base: 'biosFlat', mutate: (t) => { t.architecture = 'ppc64el/generic'; }, expect: /PReP/, deployable: true },
  { name: 'boot disk does not exist', base: 'biosFlat', mutate: (t) => { t.boot_disk_id = 99; }, expect: /Boot disk 99 does not exist/ },
  { name: 'boot disk is virtual', base: 'uefiLvm', mutate: (t) => { t.boot_disk_id = 3; }, expect: /must be a physical disk/ },
  { name: 'RAID-1 with one device', base: 'uefiCustom', mutate: (t) => { t.filesystems = t.filesystems.filter((f) => !(f.fstype === 'raid' && f.on?.kind === 'partition' && f.on.id === part(t, 'sdb', 1).id)); }, expect: /raid-1 needs at least 2 active devices; md0 has 1/ },
  { name: 'RAID-5 with two devices', base: 'uefiCustom', mutate: (t) => { t.raids[0].level = 'raid-5'; }, expect: /raid-5 needs at least 3 active devices/ },
  { name: 'RAID-6 with two devices', base: 'uefiCustom', mutate: (t) => { t.raids[0].level = 'raid-6'; }, expect: /raid-6 needs at least 4/ },
  { name: 'RAID-10 with two devices', base: 'uefiCustom', mutate: (t) => { t.raids[0].level = 'raid-10'; }, expect: /raid-10 needs at least 4/ },
  { name: 'RAID-0 with a spare', base: 'uefiCustom', mutate: (t) => { t.raids[0].level = 'raid-0'; const sz = dev(t, 'md0'); sz.size = 2 * sz.size; fsOfType(t, 'raid').fstype = 'raid-spare'; }, expect: /cannot have spare devices/ },
  { name: 'unknown RAID level', base: 'uefiCustom', mutate: (t) => { (t.raids[0] as { level: string }).level = 'raid-4'; }, expect: /Unknown RAID level 'raid-4'/ },
  { name: 'RAID size that does not follow its level', base: 'uefiCustom', mutate: (t) => { dev(t, 'md0').size += 4 * MiB; }, expect: /raid-1 over its members gives/ },
  { name: 'a device used twice', base: 'uefiCustom', mutate: (t) => { fsAt(t, '/srv').on = { kind: 'partition', id: part(t, 'sda', 3).id }; }, expect: /sda-part3 is used twice: as xfs mounted at \/srv and as a RAID member/ },
  { name: 'whole-disk filesystem on a partitioned disk', base: 'uefiFlat', mutate: (t) => { t.filesystems.push({ id: 99, fstype: 'ext4', uuid: U, label: null, mount_point: '/x', mount_options: null, on: { kind: 'block', id: 1 }, group_id: null }); }, expect: /has a partition table, so it cannot also be used whole/ },
  { name: 'unknown fstype', base: 'uefiFlat', mutate: (t) => { (fsAt(t, '/') as { fstype: string }).fstype = 'ntfs'; }, expect: /Unknown filesystem type 'ntfs'/ },
  { name: 'relative mount point', base: 'uefiCustom', mutate: (t) => { fsAt(t, '/srv').mount_point = 'srv'; }, expect: /must be an absolute path/ },
  { name: 'mount point with a space', base: 'uefiCustom', mutate: (t) => { fsAt(t, '/srv').mount_point = '/my srv'; }, expect: /whitespace/ },
  { name: 'mount point with a trailing slash', base: 'uefiCustom', mutate: (t) => { fsAt(t, '/srv').mount_point = '/srv/'; }, expect: /must not end with '\/'/ },
  { name: 'mount point with ..', base: 'uefiCustom', mutate: (t) => { fsAt(t, '/srv').mount_point = '/srv/../etc'; }, expect: /'\.' or '\.\.'/ },
  { name: 'mount point with //', base: 'uefiCustom', mutate: (t) => { fsAt(t, '/srv').mount_point = '//srv'; }, expect: /'\/\/'/ },
  { name: 'swap with a mount point', base: 'uefiCustom', mutate: (t) => { fsOfType(t, 'swap').mount_point = '/swap'; }, expect: /Swap on sdb-part2 cannot have a mount point/ },
  { name: 'mounted RAID member', base: 'uefiCustom', mutate: (t) => { fsOfType(t, 'raid').mount_point = '/raid'; }, expect: /is a raid member and cannot be mounted/ },
  { name: 'member of a group that does not exist', base: 'uefiLvm', mutate: (t) => { fsOfType(t, 'lvm-pv').group_id = 42; }, expect: /group \(42\) that does not exist/ },
  { name: 'internal fstype without group', base: 'uefiLvm', mutate: (t) => { fsOfType(t, 'lvm-pv').group_id = null; }, expect: /belongs to no group/ },
  { name: 'logical volumes bigger than the volume group', base: 'uefiLvm', mutate: (t) => { dev(t, 'lvroot').size += 4 * MiB; }, expect: /need .* but the volume group holds only/ },
  { name: 'logical volume not a whole number of extents', base: 'uefiLvm', mutate: (t) => { dev(t, 'lvroot').size -= MiB; }, expect: /multiple of the 4 MiB LVM extent/ },
  { name: 'partitioned logical volume', base: 'uefiLvm', mutate: (t) => { dev(t, 'lvroot').partition_table = 'GPT'; }, expect: /cannot be partitioned/ },
  { name: 'volume group without physical volumes', base: 'uefiLvm', mutate: (t) => { t.filesystems = t.filesystems.filter((f) => f.fstype !== 'lvm-pv'); }, expect: /has no physical volumes/ },
  { name: 'two LVs with one name', base: 'uefiCustom', mutate: (t) => { dev(t, 'home').name = 'root'; }, expect: /two logical volumes named 'root'|Two block devices are named 'vg0-root'/ },
  { name: 'MBR with five partitions', base: 'biosFlat', mutate: (t) => { const p = part(t, 'sda', 1); p.size = 10 * GiB; for (let n = 2; n <= 5; n += 1) t.partitions.push({ ...p, id: 10 + n, number: n, offset: p.offset + (n - 1) * 10 * GiB, uuid: U }); }, expect: /has 5 partitions; a MBR table holds at most 4/ },
  { name: 'MBR with two bootable partitions', base: 'biosCustom', mutate: (t) => { part(t, 'sda', 3).bootable = true; }, expect: /Only one partition on an MBR disk can be marked bootable/ },
  { name: 'bios_grub on MBR', base: 'biosFlat', mutate: (t) => { part(t, 'sda', 1).boot_code = 'bios_grub'; }, expect: /bios_grub partition only exists on GPT/ },
  { name: 'filesystem on a bios_grub partition', base: 'uefiFlat', mutate: (t) => { t.firmware = 'bios'; part(t, 'sda', 1).boot_code = 'bios_grub'; }, expect: /bios_grub boot partition and cannot hold a filesystem/ },
  { name: 'partitions without a partition table', base: 'uefiFlat', mutate: (t) => { dev(t, 'sda').partition_table = null; }, expect: /has partitions but no partition table/ },
  { name: 'label too long for xfs', base: 'uefiCustom', mutate: (t) => { fsAt(t, '/srv').label = 'thirteen-char'; }, expect: /too long for xfs \(at most 12/ },
  { name: 'label too long for fat32', base: 'uefiFlat', mutate: (t) => { fsAt(t, '/boot/efi').label = 'EFI-SYSTEM-1'; }, expect: /too long for fat32/ },
  { name: 'xfs on a small partition', base: 'uefiCustom', mutate: (t) => { part(t, 'sda', 2).size = 256 * MiB; fsAt(t, '/boot').fstype = 'xfs' as FsType; }, expect: /sda-part2 \(256 MiB\) is too small for xfs, which needs at least 300 MiB/ },
  { name: 'root on fat32', base: 'uefiFlat', mutate: (t) => { const f = fsAt(t, '/'); f.fstype = 'vfat'; f.uuid = 'ABCD-1234'; }, expect: /root filesystem must be one of/ },
  { name: '/boot/efi on ext4', base: 'uefiFlat', mutate: (t) => { const f = fsAt(t, '/boot/efi'); f.fstype = 'ext4'; f.uuid = U; }, expect: /must be fat32 or vfat/ },
  { name: 'tmpfs on a device', base: 'uefiCustom', mutate: (t) => { fsOfType(t, 'tmpfs').on = { kind: 'block', id: 2 }; }, expect: /tmpfs lives in memory/ },
  { name: 'tmpfs without a mount point', base: 'uefiCustom', mutate: (t) => { fsOfType(t, 'tmpfs').mount_point = null; }, expect: /needs a mount point/ },
  { name: 'ext4 without a device', base: 'uefiFlat', mutate: (t) => { fsAt(t, '/').on = null; }, expect: /needs a device or partition/ },
  { name: 'filesystem on a missing partition', base: 'uefiFlat', mutate: (t) => { fsAt(t, '/').on = { kind: 'partition', id: 77 }; }, expect: /partition \(77\) that does not exist/ },
  { name: 'bad filesystem UUID', base: 'uefiFlat', mutate: (t) => { fsAt(t, '/').uuid = 'not-a-uuid'; }, expect: /not a valid UUID/ },
  { name: 'FAT with a UUID instead of a volume id', base: 'uefiFlat', mutate: (t) => { fsAt(t, '/boot/efi').uuid = U; }, expect: /FAT volume id/ },
  { name: 'two filesystems with one UUID', base: 'uefiCustom', mutate: (t) => { fsAt(t, '/srv').uuid = fsAt(t, '/').uuid; }, expect: /is given to two filesystems .* fstab could not tell them apart/ },
  { name: 'two partitions with one UUID', base: 'uefiFlat', mutate: (t) => { part(t, 'sda', 2).uuid = part(t, 'sda', 1).uuid; }, expect: /Partition UUID .* is used by both sda-part1 and sda-part2/ },
  { name: 'bad partition UUID', base: 'uefiFlat', mutate: (t) => { part(t, 'sda', 1).uuid = 'x'; }, expect: /not a valid partition UUID/ },
  { name: 'mount options with spaces', base: 'uefiFlat', mutate: (t) => { fsAt(t, '/').mount_options = 'noatime, ro'; }, expect: /without spaces/ },
  { name: 'bcache without a backing device', base: 'uefiBcache', mutate: (t) => { t.filesystems = t.filesystems.filter((f) => f.fstype !== 'bcache-backing'); }, expect: /needs exactly one backing device/ },
  { name: 'cache set without a cache device', base: 'uefiBcache', mutate: (t) => { t.filesystems = t.filesystems.filter((f) => f.fstype !== 'bcache-cache'); }, expect: /needs exactly one cache device/ },
  { name: 'bcache on a missing cache set', base: 'uefiBcache', mutate: (t) => { t.bcaches[0].cache_set_id = 9; }, expect: /cache set 9, which does not exist/ },
  { name: 'unknown cache mode', base: 'uefiBcache', mutate: (t) => { (t.bcaches[0] as { cache_mode: string }).cache_mode = 'writefast'; }, expect: /Unknown cache mode 'writefast'/ },
  { name: 'bcache size not the backing size', base: 'uefiBcache', mutate: (t) => { dev(t, 'bcache0').size += 1; }, expect: /its backing device gives/ },
  { name: '/boot on bcache', base: 'uefiBcache', mutate: (t) => { fsAt(t, '/boot').mount_point = '/boot2'; }, expect: /\/ is on a bcache device, which GRUB cannot read/, deployable: true },
  { name: 'virtual device from a missing group', base: 'uefiLvm', mutate: (t) => { t.volume_groups = []; t.filesystems = t.filesystems.filter((f) => f.fstype !== 'lvm-pv'); }, expect: /comes from a volume group that does not exist/ },
  {
    name: 'a device built from itself', base: 'uefiCustom', expect: /in a loop/,
    // md0 → vg0 → LV home, and home made a member of md0.
    mutate: (t) => {
      const home = dev(t, 'home');
      t.filesystems = t.filesystems.filter((f) => f.mount_point !== '/home');
      t.filesystems.find((f) => f.fstype === 'raid' && f.on?.kind === 'partition' && f.on.id === part(t, 'sdb', 1).id)!.on = { kind: 'block', id: home.id };
    },
  },
  { name: 'duplicate device names', base: 'uefiFlat', mutate: (t) => { dev(t, 'sdb').name = 'sda'; }, expect: /Two block devices are named 'sda'/ },
  { name: 'invalid device name', base: 'uefiFlat', mutate: (t) => { dev(t, 'sdb').name = 'sd b'; }, expect: /not a valid device name/ },
  { name: 'invalid volume group name', base: 'uefiLvm', mutate: (t) => { t.volume_groups[0].name = '-vg'; }, expect: /'-vg' is not a valid name/ },
  { name: 'bad block size', base: 'uefiFlat', mutate: (t) => { dev(t, 'sdb').block_size = 520; }, expect: /Block size of sdb must be one of/ },
  { name: 'non-positive device size', base: 'uefiFlat', mutate: (t) => { dev(t, 'sdb').size = 0; }, expect: /Size of sdb must be a positive/ },
  { name: 'physical device with a source', base: 'uefiFlat', mutate: (t) => { dev(t, 'sdb').source = { kind: 'raid', raid_id: 1 }; }, expect: /only virtual devices have a source/ },
  { name: 'unknown firmware', base: 'uefiFlat', mutate: (t) => { (t as { firmware: string }).firmware = 'coreboot'; }, expect: /Firmware must be 'bios' or 'uefi'/ },
  { name: 'duplicate partition ids', base: 'uefiFlat', mutate: (t) => { part(t, 'sda', 2).id = part(t, 'sda', 1).id; }, expect: /Partition id 1 is used by more than one/ },
  { name: 'RAID member too small', base: 'uefiCustom', mutate: (t) => { const p = part(t, 'sdb', 1); p.size = 64 * MiB; dev(t, 'md0').size = 0; }, expect: /too small to be a RAID member/ },
];

for (const [name, base] of Object.entries(BASES)) {
  test(`valid base tree: ${name}`, () => {
    assert.deepEqual(validateTree(base(), { deployable: true }), []);
  });
}

for (const row of rows) {
  test(`rule: ${row.name}`, () => {
    const t = clone(BASES[row.base]());
    row.mutate(t);
    const errors = validateTree(t, { deployable: row.deployable ?? false });
    assert.ok(errors.length > 0, 'expected errors');
    for (const e of errors) assert.ok(typeof e.message === 'string' && e.message.length > 10, `every error has a message: ${JSON.stringify(e)}`);
    assert.ok(errors.some((e) => row.expect.test(e.message)), `no message matching ${row.expect}: ${JSON.stringify(errors, null, 1)}`);
    if (row.deployable) assert.deepEqual(validateTree(t, { deployable: false }).filter((e) => row.expect.test(e.message)), [], 'deploy rules apply only when asked for');
  });
}

test('canEditStorage: only Ready and Allocated', () => {
  for (let status = 0; status <= 22; status += 1) {
    const r = canEditStorage(status);
    if (status === 4 || status === 10) assert.deepEqual(r, { allowed: true });
    else {
      assert.equal(r.allowed, false);
      assert.match((r as { message: string }).message, /only be changed when the machine is Ready or Allocated/);
    }
  }
  assert.match((canEditStorage(6) as { message: string }).message, /is Deployed/);
});
