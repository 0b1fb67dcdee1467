/**
 * Random machines and random valid storage documents for the property tests, from a seeded PRNG.
 * The generator keeps its own books (free space, what each name is used for) so that every document
 * it makes should be valid and deployable; the tests assert that the domain agrees.
 */
import { GiB, MiB, TiB } from '../../src/domain/storage/units.ts';
import type { Firmware, StorageTree } from '../../src/domain/storage/types.ts';
import type {
  BcacheDoc, DiskDoc, FilesystemDoc, PartitionDoc, RaidDoc, StorageDocument, VolumeGroupDoc,
} from '../../src/domain/storage/document-types.ts';
import { disk, type Rng } from './fixtures.ts';

const MD_RESERVED_MIB = 129;

export function randomMachine(r: Rng): StorageTree {
  const firmware: Firmware = r.chance(0.5) ? 'uefi' : 'bios';
  const architecture = r.pick(['amd64/generic', 'amd64/generic', 'arm64/generic', 'ppc64el/generic', 'amd64']);
  const n = r.range(1, 4);
  const block_devices = Array.from({ length: n }, (_, i) => {
    const block_size = r.chance(0.25) ? 4096 : 512;
    const base = r.pick([4 * GiB, 8 * GiB, 16 * GiB, 64 * GiB, 500 * GiB, 2 * TiB, 3 * TiB]);
    // Sizes that are not MiB multiples too, as real disks are (a whole number of sectors).
    const size = base + r.int(1024) * MiB + r.int(2048) * block_size;
    const name = r.chance(0.3) ? `nvme${i}n1` : `sd${'abcd'[i]}`;
    return disk(i + 1, name, size, { block_size, tags: r.chance(0.4) ? ['ssd'] : ['rotary'], id_path: r.chance(0.5) ? `/dev/disk/by-id/wwn-0x${(0x5000c500 + i).toString(16)}` : null });
  });
  return { firmware, architecture, boot_disk_id: null, block_devices, partitions: [], filesystems: [], volume_groups: [], raids: [], cache_sets: [], bcaches: [] };
}

interface Unit { name: string; mib: number }

class Books {
  mounts = new Set<string>(['/', '/boot/efi', '/boot']);
  pool: Unit[] = [];
  constructor(readonly r: Rng) {}

  mountPoint(): string {
    for (;;) {
      const mp = this.r.pick(['/srv', '/var', '/home', '/opt', '/data', '/var/log', '/var/lib', '/srv/a', '/srv/b', '/mnt/x', '/mnt/y', '/tmp2', '/a/b/c']);
      const candidate = this.mounts.has(mp) ? `${mp}${this.r.int(1000)}` : mp;
      if (!this.mounts.has(candidate)) { this.mounts.add(candidate); return candidate; }
    }
  }

  /** A filesystem that fits `mib`, or undefined (leave it blank). */
  filesystem(mib: number): FilesystemDoc | undefined {
    const options = [
      mib >= 8 ? 'ext4' : null, mib >= 2 ? 'ext2' : null, mib >= 300 ? 'xfs' : null, mib >= 128 ? 'btrfs' : null,
      mib >= 33 ? 'fat32' : null, 'vfat', 'swap', null,
    ].filter((x): x is string => x !== null);
    const fstype = this.r.pick([...options, 'none']);
    if (fstype === 'none') return undefined;
    if (fstype === 'swap') return { fstype: 'swap', ...(this.r.chance(0.5) ? { label: 'swap' } : {}) };
    return { fstype: fstype as FilesystemDoc['fstype'], ...(this.r.chance(0.5) ? { mount_point: this.mountPoint() } : {}), ...(this.r.chance(0.3) ? { label: 'data' } : {}), ...(this.r.chance(0.2) ? { mount_options: 'noatime' } : {}) };
  }

  /** Use a partition or device of `mib`: a filesystem, a member for later groups, or nothing. */
  use(name: string, mib: number): FilesystemDoc | undefined {
    if (mib > MD_RESERVED_MIB + 8 && this.r.chance(0.45)) { this.pool.push({ name, mib }); return undefined; }
    return this.filesystem(mib);
  }
}

function partitions(b: Books, name: string, totalMib: number, max: number, fixed: PartitionDoc[], fixedMib: number): PartitionDoc[] {
  const r = b.r;
  const parts = [...fixed];
  let free = totalMib - fixedMib;
  const count = r.range(0, Math.max(0, max - fixed.length));
  for (let i = 0; i < count && free >= 4; i += 1) {
    const last = i === count - 1 && r.chance(0.5);
    const mib = last ? free : r.range(4, Math.max(4, Math.min(free, r.chance(0.5) ? 4096 : free)));
    const fs = b.use(`${name}-part${parts.length + 1}`, mib);
    parts.push({ ...(last ? {} : { size: `${mib}M` }), ...(fs ? { filesystem: fs } : {}), ...(r.chance(0.1) ? { tags: ['t'] } : {}) });
    free -= mib;
  }
  return parts;
}

/** The MiB partitions can use on a device of this size and table (mirrors what GPT and MBR allow). */
function usableMib(size: number, blockSize: number, table: 'gpt' | 'mbr'): number {
  const end = table === 'gpt' ? size - 16384 - blockSize : Math.min(size, 2 ** 32 * blockSize);
  return Math.floor(end / MiB) - 1;
}

export function randomDocument(r: Rng, t: StorageTree): StorageDocument {
  const b = new Books(r);
  const arch = t.architecture.split('/')[0];
  const disks: DiskDoc[] = [];
  t.block_devices.forEach((d, i) => {
    const big = d.size > 2 * TiB;
    if (i === 0) {
      const gpt = t.firmware === 'uefi' || arch === 'ppc64el' || big || r.chance(0.4);
      const table = gpt ? 'gpt' : 'mbr';
      const fixed: PartitionDoc[] = [];
      let fixedMib = 0;
      if (arch === 'ppc64el') { fixed.push({ size: '8M', boot_code: 'prep', bootable: true }); fixedMib += 8; }
      else if (t.firmware === 'uefi') { fixed.push({ size: '512M', filesystem: { fstype: 'fat32', label: 'efi', mount_point: '/boot/efi' } }); fixedMib += 512; }
      else if (gpt) { fixed.push({ size: '1M', boot_code: 'bios_grub' }); fixedMib += 1; }
      if (r.chance(0.4)) { fixed.push({ size: '1G', filesystem: { fstype: 'ext4', mount_point: '/boot' } }); fixedMib += 1024; }
      const total = usableMib(d.size, d.block_size, table);
      const rootMib = Math.min(r.range(512, 3072), total - fixedMib);
      fixed.push({ size: `${rootMib}M`, filesystem: { fstype: r.pick(['ext4', 'xfs', 'btrfs']), label: 'root', mount_point: '/' } });
      fixedMib += rootMib;
      disks.push({ disk: r.chance(0.5) ? d.name : d.id, ptable: table, partitions: partitions(b, d.name, total, gpt ? 8 : 4, fixed, fixedMib) });
      return;
    }
    const mode = r.pick(['blank', 'whole', 'parts', 'parts']);
    if (mode === 'whole') {
      const fs = b.use(d.name, Math.floor(d.size / MiB));
      if (fs) disks.push({ disk: d.name, filesystem: fs });
    } else if (mode === 'parts') {
      const table = big || r.chance(0.6) ? 'gpt' : 'mbr';
      disks.push({ disk: d.name, ptable: table, partitions: partitions(b, d.name, usableMib(d.size, d.block_size, table), table === 'gpt' ? 6 : 4, [], 0) });
    }
  });

  const raids: RaidDoc[] = [];
  const vgs: VolumeGroupDoc[] = [];
  const bcaches: BcacheDoc[] = [];
  const take = (n: number) => b.pool.splice(0, n);
  // Shuffle the pool so groups mix disks.
  for (let i = b.pool.length - 1; i > 0; i -= 1) { const j = r.int(i + 1); [b.pool[i], b.pool[j]] = [b.pool[j], b.pool[i]]; }
  const minMembers = { 'raid-0': 2, 'raid-1': 2, 'raid-5': 3, 'raid-6': 4, 'raid-10': 4 } as const;
  while (b.pool.length > 0) {
    const kind = r.pick(['raid', 'vg', 'vg', 'bcache']);
    if (kind === 'raid') {
      const level = r.pick(['raid-0', 'raid-1', 'raid-5', 'raid-6', 'raid-10'] as const);
      if (b.pool.length < minMembers[level]) continue;
      const members = take(minMembers[level]);
      const spares = level !== 'raid-0' && r.chance(0.3) && b.pool.length ? take(1) : [];
      const s = Math.min(...members.map((m) => m.mib)) - MD_RESERVED_MIB;
      const n = members.length;
      const mib = { 'raid-0': n * s, 'raid-1': s, 'raid-5': (n - 1) * s, 'raid-6': (n - 2) * s, 'raid-10': Math.floor((n * s) / 2) }[level];
      const name = `md${raids.length}`;
      const raid: RaidDoc = { name, level, devices: members.map((m) => m.name), ...(spares.length ? { spares: spares.map((m) => m.name) } : {}) };
      if (r.chance(0.3) && mib > 64) {
        raid.ptable = 'gpt';
        const half = Math.floor(mib / 2);
        const fs = b.use(`${name}-part1`, half);
        raid.partitions = [{ size: `${half}M`, ...(fs ? { filesystem: fs } : {}) }];
      } else {
        const fs = b.use(name, mib);
        if (fs) raid.filesystem = fs;
      }
      raids.push(raid);
    } else if (kind === 'vg') {
      const members = take(r.range(1, Math.min(3, b.pool.length)));
      const capacity = members.reduce((s, m) => s + Math.floor((m.mib - 1) / 4) * 4, 0);
      let free = capacity;
      const lvs = [];
      for (let i = 0; i < r.range(0, 3) && free >= 8; i += 1) {
        const mib = r.range(8, Math.min(free, 8192));
        free -= Math.ceil(mib / 4) * 4;
        const fs = b.filesystem(mib);
        lvs.push({ name: `lv${i}`, size: `${mib}M`, ...(fs ? { filesystem: fs } : {}) });
      }
      vgs.push({ name: `vg${vgs.length}`, devices: members.map((m) => m.name), logical_volumes: lvs });
    } else {
      if (b.pool.length < 2) { b.pool.length = 0; continue; }
      const [backing, cache] = take(2);
      if (cache.mib < 64) continue;
      const name = `bcache${bcaches.length}`;
      const fs = b.filesystem(backing.mib - 1);
      bcaches.push({ name, backing: backing.name, cache: cache.name, cache_mode: r.pick(['writeback', 'writethrough', 'writearound'] as const), ...(fs ? { filesystem: fs } : {}) });
    }
  }
  const doc: StorageDocument = { disks };
  if (raids.length) doc.raids = raids;
  if (vgs.length) doc.volume_groups = vgs;
  if (bcaches.length) doc.bcaches = bcaches;
  if (r.chance(0.3)) doc.special_filesystems = [{ fstype: r.pick(['tmpfs', 'ramfs'] as const), mount_point: '/run/x', ...(r.chance(0.5) ? { mount_options: 'size=64M' } : {}) }];
  return doc;
}
