/** The MAAS layouts: what each builds, their parameters, their errors, purity and determinism. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyLayout } from '../../src/domain/storage/layouts/index.ts';
import { deviceName, filesystemOn, partitionsOf } from '../../src/domain/storage/tree.ts';
import { GiB, MiB, TiB } from '../../src/domain/storage/units.ts';
import type { StorageTree } from '../../src/domain/storage/types.ts';
import { bigDiskMachine, deepFreeze, disk, seedFn, twoDiskMachine } from './fixtures.ts';

function apply(t: StorageTree, name: string, params: Record<string, unknown> = {}): StorageTree {
  const r = applyLayout(t, name, params, seedFn());
  assert.ok(r.tree, JSON.stringify(r.errors));
  return r.tree;
}

/** A compact picture of a tree: per device, its table and partitions as "size:fstype:mount". */
function sketch(t: StorageTree): Record<string, string> {
  const out: Record<string, string> = {};
  for (const d of t.block_devices) {
    const whole = filesystemOn(t, { kind: 'block', id: d.id });
    const parts = partitionsOf(t, d.id).map((p) => {
      const f = filesystemOn(t, { kind: 'partition', id: p.id });
      return `${p.size / MiB}M:${p.boot_code ?? f?.fstype ?? '-'}:${f?.mount_point ?? ''}${p.bootable ? ':boot' : ''}`;
    });
    out[deviceName(t, d)] = [d.partition_table ?? '', ...parts, whole ? `${whole.fstype}:${whole.mount_point ?? ''}` : ''].filter(Boolean).join(' ');
  }
  return out;
}

const cases: { name: string; tree: () => StorageTree; layout: string; params?: Record<string, unknown>; expect: Record<string, string> }[] = [
  { name: 'flat, BIOS: MBR, one root partition', tree: () => twoDiskMachine('bios'), layout: 'flat', expect: { sda: 'MBR 65535M:ext4:/', sdb: '' } },
  { name: 'flat, UEFI: GPT, ESP then root (backup GPT room left)', tree: () => twoDiskMachine('uefi'), layout: 'flat', expect: { sda: 'GPT 512M:fat32:/boot/efi:boot 65022M:ext4:/', sdb: '' } },
  { name: 'flat, BIOS, 3 TiB disk: GPT with bios_grub', tree: () => bigDiskMachine('bios'), layout: 'flat', expect: { sda: `GPT 1M:bios_grub: ${3 * TiB / MiB - 3}M:ext4:/`, sdb: '' } },
  { name: 'flat with boot_size and root_size', tree: () => twoDiskMachine('bios'), layout: 'flat', params: { boot_size: '1G', root_size: '10G' }, expect: { sda: 'MBR 1024M:ext4:/boot 10240M:ext4:/', sdb: '' } },
  { name: 'flat with a percentage root_size', tree: () => twoDiskMachine('bios'), layout: 'flat', params: { root_size: '50%' }, expect: { sda: 'MBR 32767M:ext4:/', sdb: '' } },
  { name: 'flat with root_device', tree: () => twoDiskMachine('uefi'), layout: 'flat', params: { root_device: 2 }, expect: { sda: 'GPT 512M:fat32:/boot/efi:boot', sdb: 'GPT 16382M:ext4:/' } },
  { name: 'flat with root_device by name', tree: () => twoDiskMachine('bios'), layout: 'flat', params: { root_device: 'sdb', boot_size: '512M' }, expect: { sda: 'MBR 512M:ext4:/boot', sdb: 'MBR 16383M:ext4:/' } },
  { name: 'flat on arm64 BIOS: a 512 MiB /boot', tree: () => twoDiskMachine('bios', 'arm64/generic'), layout: 'flat', expect: { sda: 'MBR 512M:ext4:/boot 65023M:ext4:/', sdb: '' } },
  { name: 'flat on ppc64el: GPT with PReP', tree: () => twoDiskMachine('bios', 'ppc64el/generic'), layout: 'flat', expect: { sda: 'GPT 8M:prep::boot 65526M:ext4:/', sdb: '' } },
  { name: 'flat honours boot_disk_id', tree: () => ({ ...twoDiskMachine('bios'), boot_disk_id: 2 }), layout: 'flat', expect: { sda: '', sdb: 'MBR 16383M:ext4:/' } },
  { name: 'lvm defaults: vgroot/lvroot', tree: () => twoDiskMachine('uefi'), layout: 'lvm', expect: { sda: 'GPT 512M:fat32:/boot/efi:boot 65022M:lvm-pv:', sdb: '', 'vgroot-lvroot': 'ext4:/' } },
  { name: 'lvm with names and lv_size', tree: () => twoDiskMachine('bios'), layout: 'lvm', params: { vg_name: 'system', lv_name: 'root', lv_size: '20G' }, expect: { sda: 'MBR 65535M:lvm-pv:', sdb: '', 'system-root': 'ext4:/' } },
  { name: 'bcache: SSD cache partition, 1 GiB /boot', tree: () => twoDiskMachine('uefi'), layout: 'bcache', expect: { sda: 'GPT 512M:fat32:/boot/efi:boot 1024M:ext4:/boot 63998M:bcache-backing:', sdb: 'GPT 16382M:bcache-cache:', bcache0: 'ext4:/' } },
  { name: 'bcache with cache_no_part', tree: () => twoDiskMachine('bios'), layout: 'bcache', params: { cache_no_part: 'true' }, expect: { sda: 'MBR 1024M:ext4:/boot 64511M:bcache-backing:', sdb: 'bcache-cache:', bcache0: 'ext4:/' } },
  { name: 'bcache with cache_size', tree: () => twoDiskMachine('bios'), layout: 'bcache', params: { cache_size: '4G', boot_size: '512M' }, expect: { sda: 'MBR 512M:ext4:/boot 65023M:bcache-backing:', sdb: 'MBR 4096M:bcache-cache:', bcache0: 'ext4:/' } },
  { name: 'bcache without an SSD falls back to flat', tree: () => ({ ...twoDiskMachine('bios'), block_devices: [disk(1, 'sda', 64 * GiB), disk(2, 'sdb', 16 * GiB)] }), layout: 'bcache', expect: { sda: 'MBR 65535M:ext4:/', sdb: '' } },
  { name: 'blank: nothing at all', tree: () => apply(twoDiskMachine('uefi'), 'lvm'), layout: 'blank', expect: { sda: '', sdb: '' } },
];
for (const c of cases) {
  test(`layout ${c.name}`, () => {
    assert.deepEqual(sketch(apply(c.tree(), c.layout, c.params)), c.expect);
  });
}

test('bcache: the cache mode is applied; the default is writethrough', () => {
  assert.equal(apply(twoDiskMachine('bios'), 'bcache').bcaches[0].cache_mode, 'writethrough');
  assert.equal(apply(twoDiskMachine('bios'), 'bcache', { cache_mode: 'WriteBack' }).bcaches[0].cache_mode, 'writeback');
});

test('bcache picks the smallest SSD that is not the boot disk', () => {
  const t: StorageTree = { ...twoDiskMachine('bios'), block_devices: [disk(1, 'sda', 64 * GiB, { tags: ['ssd'] }), disk(2, 'sdb', 32 * GiB, { tags: ['ssd'] }), disk(3, 'sdc', 8 * GiB, { tags: ['ssd'] })] };
  const out = apply(t, 'bcache');
  const cache = out.filesystems.find((f) => f.fstype === 'bcache-cache')!;
  assert.equal(out.partitions.find((p) => p.id === cache.on!.id)!.device_id, 3);
});

const errors: { name: string; tree?: () => StorageTree; layout?: string; params: Record<string, unknown> | unknown; field?: string; expect: RegExp }[] = [
  { name: 'unknown layout', layout: 'zfs', params: {}, field: 'storage_layout', expect: /Unknown storage layout 'zfs'; choose one of flat, lvm, bcache, blank/ },
  { name: 'unknown parameter', params: { root_sise: '10G' }, field: 'root_sise', expect: /Unknown parameter 'root_sise'/ },
  { name: 'parameters not an object', params: ['10G'], expect: /must be an object/ },
  { name: 'boot_size below 512 MiB', params: { boot_size: '100M' }, field: 'boot_size', expect: /boot_size must be at least 512 MiB, not 100 MiB/ },
  { name: 'boot_size as a percentage', params: { boot_size: '10%' }, field: 'boot_size', expect: /percentage/ },
  { name: 'boot_size bigger than the disk', params: { boot_size: '1T' }, field: 'boot_size', expect: /larger than the .* free on sda/ },
  { name: 'root_size below 3 GiB', params: { root_size: '2G' }, field: 'root_size', expect: /root_size must be at least 3 GiB, not 2 GiB/ },
  { name: 'root_size bigger than the disk', params: { root_size: '100G' }, field: 'root_size', expect: /root_size \(100 GiB\) is larger than the 63.5 GiB free on sda/ },
  { name: 'root_size not a size', params: { root_size: 'big' }, field: 'root_size', expect: /'big' is not a size/ },
  { name: 'root_device unknown', params: { root_device: 9 }, field: 'root_device', expect: /no block device '9'/ },
  { name: 'root_device not physical', tree: () => apply(twoDiskMachine('bios'), 'lvm'), params: { root_device: 'vgroot-lvroot' }, field: 'root_device', expect: /not a physical disk/ },
  { name: 'disk too small for root', tree: () => ({ ...twoDiskMachine('uefi'), block_devices: [disk(1, 'sda', 3 * GiB)] }), params: {}, field: 'boot_disk', expect: /sda has .* left for the root partition; it needs at least 3 GiB/ },
  { name: 'no disks at all', tree: () => ({ ...twoDiskMachine('uefi'), block_devices: [] }), params: {}, field: 'boot_disk', expect: /no block devices/ },
  { name: 'lv_size bigger than the volume group', layout: 'lvm', params: { lv_size: '80G' }, field: 'lv_size', expect: /lv_size \(80 GiB\) is larger than the .* volume group vgroot holds/ },
  { name: 'lv_size below 3 GiB', layout: 'lvm', params: { lv_size: '1G' }, field: 'lv_size', expect: /at least 3 GiB/ },
  { name: 'bad vg_name', layout: 'lvm', params: { vg_name: '-bad' }, field: 'vg_name', expect: /vg_name must be/ },
  { name: 'bad lv_name', layout: 'lvm', params: { lv_name: 'a b' }, field: 'lv_name', expect: /lv_name must be/ },
  { name: 'cache_size with cache_no_part', layout: 'bcache', params: { cache_no_part: true, cache_size: '1G' }, field: 'cache_size', expect: /cannot be used with cache_no_part/ },
  { name: 'cache_device is the boot disk', layout: 'bcache', params: { cache_device: 1 }, field: 'cache_device', expect: /different disk from the boot disk/ },
  { name: 'cache_size too big', layout: 'bcache', params: { cache_size: '20G' }, field: 'cache_size', expect: /larger than the .* free on sdb/ },
  { name: 'cache_size too small', layout: 'bcache', params: { cache_size: '10M' }, field: 'cache_size', expect: /at least 64 MiB/ },
  { name: 'bad cache_mode', layout: 'bcache', params: { cache_mode: 'fast' }, field: 'cache_mode', expect: /cache_mode must be one of writeback, writethrough, writearound/ },
  { name: 'bad cache_no_part', layout: 'bcache', params: { cache_no_part: 'maybe' }, field: 'cache_no_part', expect: /true or false/ },
];
for (const c of errors) {
  test(`layout error: ${c.name}`, () => {
    const r = applyLayout(c.tree ? c.tree() : twoDiskMachine('uefi'), c.layout ?? 'flat', c.params, seedFn());
    assert.ok(r.errors, 'expected errors');
    assert.ok(r.errors.some((e) => c.expect.test(e.message) && (c.field === undefined || e.field === c.field)), JSON.stringify(r.errors));
  });
}

test('layouts are pure: the input is untouched, same seed gives the same tree', () => {
  for (const name of ['flat', 'lvm', 'bcache', 'blank']) {
    const input = deepFreeze(apply(twoDiskMachine('uefi'), 'lvm'));
    const before = JSON.stringify(input);
    const a = applyLayout(input, name, {}, seedFn(7));
    const b = applyLayout(input, name, {}, seedFn(7));
    assert.equal(JSON.stringify(input), before);
    assert.deepEqual(a, b);
  }
});

test('re-applying a layout to its own result gives an identical tree (ids and UUIDs kept)', () => {
  for (const name of ['flat', 'lvm', 'bcache']) {
    for (const fw of ['bios', 'uefi'] as const) {
      const once = apply(twoDiskMachine(fw), name);
      const twice = applyLayout(once, name, {}, seedFn(99));
      assert.deepEqual(twice.tree, once, `${fw} ${name}`);
    }
  }
});

test('a different layout afterwards gets fresh ids above the old ones', () => {
  const lvm = apply(twoDiskMachine('uefi'), 'lvm');
  const bcache = apply(lvm, 'bcache');
  const maxOld = Math.max(...lvm.filesystems.map((f) => f.id));
  const root = bcache.filesystems.find((f) => f.mount_point === '/')!;
  assert.ok(root.id > maxOld);
  assert.equal(new Set(bcache.filesystems.map((f) => f.id)).size, bcache.filesystems.length);
});

test('special filesystems survive a layout change', () => {
  const t: StorageTree = {
    ...twoDiskMachine('uefi'),
    filesystems: [{ id: 5, fstype: 'tmpfs', uuid: '11111111-2222-4333-8444-555555555555', label: null, mount_point: '/tmp', mount_options: null, on: null, group_id: null }],
  };
  const out = apply(t, 'flat');
  assert.ok(out.filesystems.some((f) => f.fstype === 'tmpfs' && f.mount_point === '/tmp' && f.id === 5));
});
