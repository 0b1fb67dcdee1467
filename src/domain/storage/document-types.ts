/**
 * The declarative storage document: a machine's whole layout as one JSON-able value. It names
 * things the way users do (`sda`, `sda-part2`, `md0`, `md0-part1`, `vg0-root`, `bcache0`) and leaves
 * ids, offsets and most UUIDs for the applier to fill in. Example:
 *
 *   {
 *     "disks": [
 *       { "disk": "sda", "ptable": "gpt", "partitions": [
 *         { "size": "512M", "filesystem": { "fstype": "fat32", "label": "efi", "mount_point": "/boot/efi" } },
 *         { "size": "20G" },
 *         { "filesystem": { "fstype": "ext4", "mount_point": "/srv" } } ] },
 *       { "disk": 2, "partitions": [ { "size": "20G" } ] }
 *     ],
 *     "raids": [ { "name": "md0", "level": "raid-1", "devices": ["sda-part2", "sdb-part1"] } ],
 *     "volume_groups": [ { "name": "vg0", "devices": ["md0"], "logical_volumes": [
 *       { "name": "root", "size": "12G", "filesystem": { "fstype": "ext4", "label": "root", "mount_point": "/" } },
 *       { "name": "swap", "filesystem": { "fstype": "swap" } } ] } ]
 *   }
 *
 * Rules: a partition without `size` takes the rest of its device (last partition only); an LV
 * without `size` takes the rest of its volume group (last LV only). Sizes are bytes or strings with
 * K/M/G/T suffixes (units.ts) or percentages of the device's usable space (of the volume group for
 * LVs). Partition sizes round down to 1 MiB; LV sizes round up to the 4 MiB extent (as lvcreate
 * does). A device with `partitions` gets a partition table (`ptable`, default GPT on UEFI or big
 * disks, MBR otherwise). Disks that are not listed stay blank. A bootable flag defaults to true for
 * a partition mounted at /boot/efi.
 */
import type { BootCode, CacheMode, FsType, RaidLevel } from './types.ts';

/** Bytes, or "512M"-style text, or "25%". */
export type SizeInput = number | string;

export interface FilesystemDoc {
  fstype: FsType;
  label?: string | null;
  mount_point?: string | null;
  mount_options?: string | null;
  uuid?: string;
}

export interface PartitionDoc {
  size?: SizeInput;
  /** Explicit start (rounded up to 1 MiB); default right after the previous partition. */
  offset?: SizeInput;
  bootable?: boolean;
  boot_code?: BootCode | null;
  uuid?: string;
  tags?: string[];
  filesystem?: FilesystemDoc | null;
}

/** What can be put on any partitionable device: a table with partitions, or one whole-device filesystem. */
export interface DeviceContentDoc {
  ptable?: 'gpt' | 'mbr' | 'GPT' | 'MBR' | null;
  partitions?: PartitionDoc[];
  filesystem?: FilesystemDoc | null;
}

export interface DiskDoc extends DeviceContentDoc {
  /** The physical disk, by name (`sda`) or by block device id. */
  disk: string | number;
}

export interface RaidDoc extends DeviceContentDoc {
  name: string;
  level: RaidLevel;
  /** Active members, by name. */
  devices: string[];
  spares?: string[];
  uuid?: string;
}

export interface LogicalVolumeDoc {
  name: string;
  size?: SizeInput;
  uuid?: string;
  filesystem?: FilesystemDoc | null;
}

export interface VolumeGroupDoc {
  name: string;
  uuid?: string;
  /** Physical volumes, by name. */
  devices: string[];
  logical_volumes?: LogicalVolumeDoc[];
}

export interface BcacheDoc extends DeviceContentDoc {
  name: string;
  /** The backing device, by name. */
  backing: string;
  /** The cache device, by name; bcaches naming the same cache device share one cache set. */
  cache: string;
  cache_mode?: CacheMode;
  uuid?: string;
}

export interface StorageDocument {
  /** The disk for the bootloader, by name or id; default: keep the machine's current choice. */
  boot_disk?: string | number | null;
  disks?: DiskDoc[];
  raids?: RaidDoc[];
  volume_groups?: VolumeGroupDoc[];
  bcaches?: BcacheDoc[];
  /** tmpfs/ramfs mounts. When present they replace the machine's; when absent those stay. */
  special_filesystems?: FilesystemDoc[];
}
