/**
 * Size rules: where partitions may go on a device, and how big RAID arrays, volume groups and bcache
 * devices are. Every number here is conservative: the domain may leave a little space unused, but
 * anything it plans must fit on the real device.
 */
import { KiB, MiB, TiB, alignDown } from './units.ts';
import type { BlockDevice, PartitionTableType, RaidLevel } from './types.ts';

/** Partitions start at 1 MiB: room for the MBR/GPT headers and alignment for every sector size. */
export const FIRST_PARTITION_OFFSET = MiB;

/**
 * GPT keeps a backup header in the last logical block and the backup partition-entry array (128
 * entries of 128 bytes = 16 KiB) just before it (UEFI Specification 2.10 §5.3.2), so the end of a
 * GPT disk is not usable for partitions.
 */
export const gptBackupBytes = (blockSize: number): number => 16 * KiB + blockSize;

/** An MBR partition entry holds 32-bit LBAs (start and length), so nothing may end past 2^32 sectors. */
export const mbrLimitBytes = (blockSize: number): number => 2 ** 32 * blockSize;

/** Disks bigger than this cannot be described by MBR with 512-byte sectors; layouts use GPT. */
export const MBR_MAX_DISK = 2 * TiB;

export const MAX_PARTITIONS: Record<PartitionTableType, number> = { GPT: 128, MBR: 4 };

/** End (exclusive, 1 MiB aligned) of the area partitions may use on a device with this table. */
export function usableEnd(size: number, blockSize: number, table: PartitionTableType): number {
  if (table === 'GPT') return alignDown(size - gptBackupBytes(blockSize));
  return alignDown(Math.min(size, mbrLimitBytes(blockSize)));
}

/** The partition table a layout chooses: GPT on UEFI, on big disks and on ppc64el; MBR otherwise. */
export function defaultTableType(firmware: 'bios' | 'uefi', arch: string, dev: BlockDevice): PartitionTableType {
  return firmware === 'uefi' || arch === 'ppc64el' || dev.size > MBR_MAX_DISK ? 'GPT' : 'MBR';
}

// --- md RAID ---------------------------------------------------------------------------------------

/**
 * Space mdadm (metadata 1.2) keeps at the start of each member for the superblock, bad-block log
 * and write-intent bitmap. Recent mdadm picks a data offset of up to 128 MiB plus alignment; we
 * reserve 129 MiB so the array we promise always fits.
 */
export const MD_RESERVED = 129 * MiB;

/** Fewest active members each level needs (raid-10 here means the near-2 layout on 4+ devices). */
export const RAID_MIN_DEVICES: Record<RaidLevel, number> = { 'raid-0': 2, 'raid-1': 2, 'raid-5': 3, 'raid-6': 4, 'raid-10': 4 };
/** Levels that can rebuild onto a spare. */
export const RAID_ALLOWS_SPARES: Record<RaidLevel, boolean> = { 'raid-0': false, 'raid-1': true, 'raid-5': true, 'raid-6': true, 'raid-10': true };
export const RAID_LEVEL_NUMBER: Record<RaidLevel, number> = { 'raid-0': 0, 'raid-1': 1, 'raid-5': 5, 'raid-6': 6, 'raid-10': 10 };

/** Usable data space of one member. Every member contributes only as much as the smallest one. */
export const raidMemberUsable = (size: number): number => Math.max(0, alignDown(size - MD_RESERVED));

/**
 * Array size from the active members' sizes (spares add nothing), with s = smallest usable member
 * and n = active members: raid-0 n·s (striping; mdadm could use more of unequal members, we promise
 * n·s), raid-1 s (mirrors), raid-5 (n−1)·s (one member's worth of parity), raid-6 (n−2)·s (two),
 * raid-10 n·s/2 (every block stored twice). Returns 0 when there are too few members.
 */
export function raidSize(level: RaidLevel, memberSizes: readonly number[]): number {
  const n = memberSizes.length;
  if (n < RAID_MIN_DEVICES[level]) return 0;
  const s = Math.min(...memberSizes.map(raidMemberUsable));
  switch (level) {
    case 'raid-0': return n * s;
    case 'raid-1': return s;
    case 'raid-5': return (n - 1) * s;
    case 'raid-6': return (n - 2) * s;
    case 'raid-10': return alignDown((n * s) / 2);
  }
}

// --- LVM -------------------------------------------------------------------------------------------

/** LVM2 defaults: metadata area before the first extent ends at 1 MiB (pe_start), 4 MiB extents. */
export const LVM_PE_START = MiB;
export const LVM_EXTENT = 4 * MiB;

/** Space a physical volume of this size gives its volume group: whole extents after pe_start. */
export const pvCapacity = (size: number): number => Math.max(0, alignDown(size - LVM_PE_START, LVM_EXTENT));

// --- bcache ----------------------------------------------------------------------------------------

/** make-bcache writes the backing superblock in the first 8 KiB and data starts after it (16 sectors). */
export const BCACHE_BACKING_OFFSET = 8 * KiB;

export const bcacheSize = (backingSize: number): number => Math.max(0, backingSize - BCACHE_BACKING_OFFSET);

/** Smallest cache device we accept: bcache needs room for its journal and a handful of buckets. */
export const BCACHE_MIN_CACHE = 64 * MiB;

// --- filesystems -----------------------------------------------------------------------------------

/**
 * Smallest device each mkfs accepts (rounded up; xfsprogs ≥ 5.19 refuses below 300 MiB, mkfs.btrfs
 * below about 109 MiB, FAT32 needs 65,525 clusters, ext* and swap work on a few MiB).
 */
export const FS_MIN_SIZE: Record<string, number> = {
  ext2: 2 * MiB, ext4: 8 * MiB, xfs: 300 * MiB, btrfs: 128 * MiB, fat32: 33 * MiB, vfat: MiB, swap: MiB,
};

/** Longest label each filesystem stores (ext: 16 bytes; XFS: 12; FAT: 11; btrfs: 255; swap: 16). */
export const FS_LABEL_MAX: Record<string, number> = { ext2: 16, ext4: 16, xfs: 12, btrfs: 255, fat32: 11, vfat: 11, swap: 16 };
