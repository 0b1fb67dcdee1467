/** The install plan, its commands and script, the curtin rendering and the usage/naming helpers. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { applyDocument } from '../../src/domain/storage/document.ts';
import { applyLayout } from '../../src/domain/storage/layouts/index.ts';
import { planStorage, type PlanOp } from '../../src/domain/storage/planner.ts';
import { commandsFor, renderPlanScript, shellQuote } from '../../src/domain/storage/plan-render.ts';
import { toCurtinStorage } from '../../src/domain/storage/curtin.ts';
import { deviceUsage, volumeGroupUsage } from '../../src/domain/storage/usage.ts';
import { devicePath, partitionPath, usedFor } from '../../src/domain/storage/tree.ts';
import { GiB, MiB } from '../../src/domain/storage/units.ts';
import type { StorageTree } from '../../src/domain/storage/types.ts';
import { bigDiskMachine, seedFn, twoDiskMachine } from './fixtures.ts';
import { customDocument } from './documents.ts';

const layout = (t: StorageTree, name: string, params = {}) => {
  const r = applyLayout(t, name, params, seedFn());
  assert.ok(r.tree, JSON.stringify(r.errors));
  return r.tree;
};
const plan = (t: StorageTree) => {
  const p = planStorage(t);
  assert.ok(p.plan, JSON.stringify(p.errors));
  return p.plan;
};
const ops = <K extends PlanOp['op']>(t: StorageTree, op: K) => plan(t).operations.filter((o): o is Extract<PlanOp, { op: K }> => o.op === op);

test('sectors are in the device sector size: 4K-sector 3 TiB disk', () => {
  const parts = ops(layout(bigDiskMachine('bios'), 'flat'), 'partition');
  assert.deepEqual(parts.map((p) => [p.number, p.start_sector, p.type_code, p.sector_size]), [[1, 256, 'EF02', 4096], [2, 512, '8300', 4096]]);
  const table = ops(layout(bigDiskMachine('bios'), 'flat'), 'partition-table')[0];
  assert.equal(table.last_usable_sector, parts[1].end_sector);
});

test('partition type codes follow what the partition holds', () => {
  const gpt = ops(applyDocument(twoDiskMachine('uefi'), customDocument('uefi'), seedFn()).tree!, 'partition');
  assert.deepEqual(gpt.map((p) => `${p.device.slice(-4)}${p.number}:${p.type_code}`), ['c3d41:EF00', 'c3d42:8300', 'c3d43:FD00', 'c3d44:8300', '/sdb1:FD00', '/sdb2:8200']);
  const mbr = ops(applyDocument(twoDiskMachine('bios'), customDocument('bios'), seedFn()).tree!, 'partition');
  assert.deepEqual(mbr.map((p) => p.type_code), ['83', 'FD', '83', 'FD00', '8200']);
  assert.deepEqual(ops(layout(twoDiskMachine('bios', 'ppc64el/generic'), 'flat'), 'partition').map((p) => p.type_code), ['4100', '8300']);
  assert.deepEqual(ops(layout(twoDiskMachine('bios'), 'lvm'), 'partition').map((p) => p.type_code), ['8E']);
});

test('mounts: parents before children; fstab: by UUID with fsck passes', () => {
  const r = applyDocument(twoDiskMachine('uefi'), {
    disks: [{ disk: 'sda', partitions: [
      { size: '512M', filesystem: { fstype: 'fat32', mount_point: '/boot/efi' } },
      { size: '4G', filesystem: { fstype: 'ext4', mount_point: '/var/log' } },
      { size: '4G', filesystem: { fstype: 'xfs', mount_point: '/var' } },
      { size: '4G', filesystem: { fstype: 'ext4', mount_point: '/var/log/audit' } },
      { filesystem: { fstype: 'ext4', mount_point: '/' } },
    ] }],
  }, seedFn());
  assert.ok(r.tree);
  assert.deepEqual(ops(r.tree, 'mount').map((m) => m.target), ['/target', '/target/var', '/target/boot/efi', '/target/var/log', '/target/var/log/audit']);
  assert.deepEqual(ops(r.tree, 'fstab').map((f) => `${f.mount_point} ${f.vfstype} ${f.pass}`), ['/ ext4 1', '/var xfs 0', '/boot/efi vfat 2', '/var/log ext4 2', '/var/log/audit ext4 2']);
  for (const f of ops(r.tree, 'fstab')) assert.match(f.spec, /^UUID=/);
});

test('planning refuses an invalid or undeployable tree', () => {
  const blank = layout(twoDiskMachine('uefi'), 'blank');
  const r = planStorage(blank);
  assert.ok(r.errors);
  assert.match(r.errors.map((e) => e.message).join(' '), /No filesystem is mounted at \//);
  assert.ok(planStorage(blank, { deployable: false }).plan);
});

test('commands for each operation', () => {
  const U = '0a1b2c3d-4e5f-4a6b-8c7d-8e9fa0b1c2d3';
  const cases: [PlanOp, string[]][] = [
    [{ op: 'wipe', device: '/dev/sda' }, ['wipefs --all --force /dev/sda']],
    [{ op: 'partition-table', device: '/dev/sda', table: 'GPT', sector_size: 512, sectors: 100, first_usable_sector: 2048, last_usable_sector: 99 }, ['sgdisk --zap-all /dev/sda', 'sgdisk --clear /dev/sda']],
    [{ op: 'partition-table', device: '/dev/sda', table: 'MBR', sector_size: 512, sectors: 100, first_usable_sector: 2048, last_usable_sector: 99 }, ['sfdisk --wipe always /dev/sda <<label: dos\n']],
    [{ op: 'partition', device: '/dev/sda', path: '/dev/sda1', table: 'GPT', number: 1, sector_size: 512, start_sector: 2048, end_sector: 4095, type_code: 'EF02', bootable: true, uuid: U }, [`sgdisk --new=1:2048:4095 --typecode=1:EF02 --partition-guid=1:${U} --attributes=1:set:2 /dev/sda`]],
    [{ op: 'partition', device: '/dev/sda', path: '/dev/sda1', table: 'MBR', number: 1, sector_size: 512, start_sector: 2048, end_sector: 4095, type_code: '83', bootable: true, uuid: U }, ['sfdisk --append --no-reread /dev/sda <<start=2048, size=2048, type=83, bootable\n']],
    [{ op: 'md-create', path: '/dev/md/md0', name: 'md0', level: 5, devices: ['/dev/sda2', '/dev/sdb2', '/dev/sdc2'], spares: ['/dev/sdd2'], uuid: U }, ['mdadm --create /dev/md/md0 --run --metadata=1.2 --level=5 --raid-devices=3 --spare-devices=1 --uuid=0a1b2c3d:4e5f4a6b:8c7d8e9f:a0b1c2d3 --name=md0 /dev/sda2 /dev/sdb2 /dev/sdc2 /dev/sdd2']],
    [{ op: 'pvcreate', device: '/dev/sda2' }, ['pvcreate --force --yes /dev/sda2']],
    [{ op: 'vgcreate', name: 'vg0', devices: ['/dev/sda2', '/dev/sdb1'] }, ['vgcreate --yes vg0 /dev/sda2 /dev/sdb1']],
    [{ op: 'lvcreate', vg: 'vg0', name: 'root', size: 8 * GiB, path: '/dev/vg0/root' }, ['lvcreate --yes --wipesignatures y --name root --size 8192m vg0']],
    [{ op: 'bcache-cache', device: '/dev/sdb1', cset_uuid: U }, [`make-bcache --wipe-bcache --cset-uuid ${U} -C /dev/sdb1`]],
    [{ op: 'bcache-backing', device: '/dev/sda2', path: '/dev/bcache0', cset_uuid: U, cache_mode: 'writeback' }, ['make-bcache --wipe-bcache --writeback -B /dev/sda2', 'udevadm settle', `> /sys/block/bcache0/bcache/attach ${U}\n`, '> /sys/block/bcache0/bcache/cache_mode writeback\n']],
    [{ op: 'mkfs', device: '/dev/sda1', fstype: 'fat32', label: 'efi', uuid: 'ABCD-0123' }, ['mkfs.vfat -F 32 -n efi -i ABCD0123 /dev/sda1']],
    [{ op: 'mkfs', device: '/dev/sda2', fstype: 'vfat', label: null, uuid: 'ABCD-0123' }, ['mkfs.vfat -i ABCD0123 /dev/sda2']],
    [{ op: 'mkfs', device: '/dev/sda2', fstype: 'ext4', label: 'root', uuid: U }, [`mkfs.ext4 -F -q -L root -U ${U} /dev/sda2`]],
    [{ op: 'mkfs', device: '/dev/sda2', fstype: 'ext2', label: null, uuid: U }, [`mkfs.ext2 -F -q -U ${U} /dev/sda2`]],
    [{ op: 'mkfs', device: '/dev/sda2', fstype: 'xfs', label: 'srv', uuid: U }, [`mkfs.xfs -f -L srv -m uuid=${U} /dev/sda2`]],
    [{ op: 'mkfs', device: '/dev/sda2', fstype: 'btrfs', label: null, uuid: U }, [`mkfs.btrfs -f -U ${U} /dev/sda2`]],
    [{ op: 'mkfs', device: '/dev/sda3', fstype: 'swap', label: 'swap', uuid: U }, [`mkswap -L swap -U ${U} /dev/sda3`]],
    [{ op: 'mount', source: '/dev/sda2', target: '/target/srv', fstype: 'xfs', options: 'noatime' }, ['mkdir -p /target/srv', 'mount -t xfs -o noatime /dev/sda2 /target/srv']],
    [{ op: 'fstab', file: '/target/etc/fstab', spec: `UUID=${U}`, mount_point: '/', vfstype: 'ext4', options: 'defaults', dump: 0, pass: 1 }, [`>> /target/etc/fstab UUID=${U}\t/\text4\tdefaults\t0\t1\n`]],
  ];
  for (const [op, expected] of cases) {
    const got = commandsFor(op).map((c) => (c.write ? `${c.write.append ? '>>' : '>'} ${c.write.path} ${c.write.content}` : `${c.argv.join(' ')}${c.stdin !== undefined ? ` <<${c.stdin}` : ''}`));
    assert.deepEqual(got, expected, op.op);
  }
});

test('rendered scripts are valid POSIX shell (sh -n)', () => {
  for (const fw of ['bios', 'uefi'] as const) {
    for (const name of ['flat', 'lvm', 'bcache']) {
      const script = renderPlanScript(plan(layout(twoDiskMachine(fw), name)));
      const r = spawnSync('sh', ['-n'], { input: script, encoding: 'utf8', timeout: 10_000 });
      assert.equal(r.status, 0, r.stderr);
    }
    const custom = renderPlanScript(plan(applyDocument(twoDiskMachine(fw), customDocument(fw), seedFn()).tree!));
    assert.equal(spawnSync('sh', ['-n'], { input: custom, encoding: 'utf8', timeout: 10_000 }).status, 0);
  }
});

test('shellQuote', () => {
  const cases: [string, string][] = [['abc', 'abc'], ['/dev/sda1', '/dev/sda1'], ['a b', "'a b'"], ["it's", "'it'\\''s'"], ['', "''"], ['$x', "'$x'"]];
  for (const [input, out] of cases) assert.equal(shellQuote(input), out);
});

test('curtin: disk, partitions, formats and mounts for flat UEFI', () => {
  const c = toCurtinStorage(layout(twoDiskMachine('uefi'), 'flat')).storage;
  assert.equal(c.version, 1);
  assert.deepEqual(c.config.map((i) => `${i.type}:${i.id}`), ['disk:sda', 'partition:sda-part1', 'partition:sda-part2', 'format:format-sda-part1', 'format:format-sda-part2', 'mount:mount-sda-part2', 'mount:mount-sda-part1']);
  const esp = c.config[1];
  assert.equal(esp.flag, 'boot');
  assert.equal(esp.grub_device, true);
  assert.equal(c.config[0].ptable, 'gpt');
  assert.equal(c.config[5].path, '/');
});

test('curtin: lvm, raid, bcache and special mounts', () => {
  const c = toCurtinStorage(applyDocument(twoDiskMachine('bios'), customDocument('bios'), seedFn()).tree!).storage.config;
  const byType = (type: string) => c.filter((i) => i.type === type);
  assert.deepEqual(byType('raid').map((i) => [i.raidlevel, i.devices]), [[1, ['sda-part2', 'sdb-part1']]]);
  assert.deepEqual(byType('lvm_volgroup').map((i) => [i.id, i.devices]), [['vg-vg0', ['md0']]]);
  assert.deepEqual(byType('lvm_partition').map((i) => [i.id, i.volgroup, i.size]), [['vg0-root', 'vg-vg0', '8192M'], ['vg0-home', 'vg-vg0', `${byType('lvm_partition')[1].size}`]]);
  assert.ok(byType('mount').some((m) => m.fstype === 'tmpfs' && m.spec === 'tmpfs' && m.path === '/tmp'));
  assert.ok(byType('mount').some((m) => m.path === 'none' && m.device === 'format-sdb-part2'));
  assert.equal(byType('disk').find((d) => d.id === 'sda')!.grub_device, true);
  const b = toCurtinStorage(layout(twoDiskMachine('uefi'), 'bcache')).storage.config.find((i) => i.type === 'bcache')!;
  assert.deepEqual([b.backing_device, b.cache_device, b.cache_mode], ['sda-part3', 'sdb-part1', 'writethrough']);
});

test('usage: used and available sizes as MAAS reports them', () => {
  const t = layout(twoDiskMachine('uefi'), 'lvm', { root_size: '20G', lv_size: '10G' });
  const sda = t.block_devices[0];
  const u = deviceUsage(t, sda);
  assert.equal(u.used_size + u.available_size, sda.size);
  assert.equal(u.available_size, 64 * GiB - 2 * MiB - 512 * MiB - 20 * GiB);
  assert.deepEqual(deviceUsage(t, t.block_devices[1]), { used_size: 0, available_size: 16 * GiB });
  const vg = volumeGroupUsage(t, t.volume_groups[0].id);
  assert.deepEqual(vg, { size: 20 * GiB - 4 * MiB, used_size: 10 * GiB, available_size: 10 * GiB - 4 * MiB });
  assert.equal(usedFor(t, { kind: 'block', id: sda.id }), 'GPT partitioned with 2 partitions');
  assert.equal(usedFor(t, { kind: 'partition', id: t.partitions[1].id }), 'lvm-pv for volume group vgroot');
  assert.equal(usedFor(t, { kind: 'partition', id: t.partitions[0].id }), 'fat32 formatted filesystem mounted at /boot/efi');
  assert.equal(usedFor(t, { kind: 'block', id: t.block_devices[1].id }), 'Unused');
});

test('device and partition paths', () => {
  const t = applyDocument(twoDiskMachine('uefi'), customDocument('uefi'), seedFn()).tree!;
  assert.deepEqual(t.block_devices.map((d) => devicePath(t, d)), ['/dev/disk/by-id/wwn-0x5000c500a1b2c3d4', '/dev/sdb', '/dev/md/md0', '/dev/vg0/root', '/dev/vg0/home']);
  const cases: [string, number, string][] = [['/dev/sda', 1, '/dev/sda1'], ['/dev/nvme0n1', 2, '/dev/nvme0n1p2'], ['/dev/md/md0', 1, '/dev/md/md0p1'], ['/dev/disk/by-id/wwn-0x5', 3, '/dev/disk/by-id/wwn-0x5-part3'], ['/dev/bcache0', 1, '/dev/bcache0p1']];
  for (const [parent, n, out] of cases) assert.equal(partitionPath(parent, n), out);
});
