/**
 * Shared test inputs: the two-disk machines the golden files use and a tiny seeded PRNG (xorshift32)
 * for deterministic UUIDs and for the property tests' generators. No test doubles: trees are data.
 */
import { GiB, TiB } from '../../src/domain/storage/units.ts';
import type { BlockDevice, Firmware, SeedFn, StorageTree } from '../../src/domain/storage/types.ts';

export interface Rng {
  /** Next 32-bit unsigned integer. */
  u32: SeedFn;
  /** Integer in [0, n). */
  int(n: number): number;
  /** Integer in [lo, hi]. */
  range(lo: number, hi: number): number;
  pick<T>(xs: readonly T[]): T;
  chance(p: number): boolean;
}

export function rng(seed: number): Rng {
  let s = (seed >>> 0) || 0x9e3779b9;
  const u32 = () => { s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0; return s; };
  const int = (n: number) => Math.floor((u32() / 2 ** 32) * n);
  return {
    u32, int,
    range: (lo, hi) => lo + int(hi - lo + 1),
    pick: (xs) => xs[int(xs.length)],
    chance: (p) => u32() / 2 ** 32 < p,
  };
}

/** A fresh deterministic seed function (same sequence every call with the same number). */
export const seedFn = (n = 42): SeedFn => rng(n).u32;

export function disk(id: number, name: string, size: number, extra: Partial<BlockDevice> = {}): BlockDevice {
  return {
    id, name, type: 'physical', model: 'QEMU HARDDISK', serial: `QM0000${id}`, id_path: null, size, block_size: 512,
    uuid: null, tags: ['rotary'], partition_table: null, source: null, ...extra,
  };
}

/** The golden-file machine: a 64 GiB rotary boot disk and a 16 GiB SSD. */
export function twoDiskMachine(firmware: Firmware, architecture = 'amd64/generic'): StorageTree {
  return {
    firmware, architecture, boot_disk_id: null,
    block_devices: [
      disk(1, 'sda', 64 * GiB, { id_path: '/dev/disk/by-id/wwn-0x5000c500a1b2c3d4', serial: 'Z1X2C3V4' }),
      disk(2, 'sdb', 16 * GiB, { model: 'Samsung SSD 870', serial: 'S5Y1NX0R', tags: ['ssd'] }),
    ],
    partitions: [], filesystems: [], volume_groups: [], raids: [], cache_sets: [], bcaches: [],
  };
}

export const bigDiskMachine = (firmware: Firmware): StorageTree => ({
  ...twoDiskMachine(firmware),
  block_devices: [disk(1, 'sda', 3 * TiB, { block_size: 4096 }), disk(2, 'sdb', 16 * GiB, { tags: ['ssd'] })],
});

/** Deep-freeze, so a test fails loudly if pure code writes into its input. */
export function deepFreeze<T>(x: T): T {
  if (x && typeof x === 'object') {
    for (const v of Object.values(x)) deepFreeze(v);
    Object.freeze(x);
  }
  return x;
}
