/**
 * A machine's storage model as plain, JSON-able data (no classes, no behaviour). The store persists
 * these shapes and the MAAS API edge renders them (field names follow MAAS's JSON where one exists,
 * maas-api-spec.md §10.3). The rules live beside this file: sizing.ts, validate*.ts, layouts/,
 * document*.ts, planner.ts, curtin.ts.
 *
 * Shape of a tree (relations are by id, never by nesting or object identity):
 *
 *   BlockDevice (physical, or virtual: an LVM logical volume, an md RAID array, a bcache device)
 *     └ partition_table: 'GPT' | 'MBR' | null
 *     └ Partition[] (device_id → BlockDevice)
 *   Filesystem (on → a BlockDevice or a Partition; null for tmpfs/ramfs, which need no device)
 *     - ordinary fstypes are formatted and (optionally) mounted;
 *     - internal fstypes record membership: `lvm-pv` in a VolumeGroup, `raid`/`raid-spare` in a Raid,
 *       `bcache-cache` in a CacheSet, `bcache-backing` in a Bcache (group_id names which one).
 *   VolumeGroup ← its lvm-pv members; its logical volumes are virtual BlockDevices (source.kind 'lv').
 *   Raid ← its raid/raid-spare members; its array is one virtual BlockDevice (source.kind 'raid').
 *   CacheSet ← one bcache-cache member. Bcache ← one bcache-backing member + a cache set; its device
 *   is one virtual BlockDevice (source.kind 'bcache').
 *
 * So "what is this device used for" always has one answer: the single Filesystem whose `on` points
 * at it, or its partition table. A device that has both, or two filesystems, is invalid (validate.ts).
 *
 * Ids are unique per kind within one tree. Physical block device ids come from the store; ids of
 * entities the domain creates are the next free integer of their kind in the tree, so results are
 * deterministic. Sizes are bytes (numbers: exact up to 8 PiB, far above any disk).
 */

/** How the machine boots: legacy BIOS (or Open Firmware on ppc64el) or UEFI. */
export type Firmware = 'bios' | 'uefi';

export type PartitionTableType = 'GPT' | 'MBR';

/** Filesystems that hold data and may be mounted. */
export const DATA_FSTYPES = ['ext2', 'ext4', 'xfs', 'btrfs', 'fat32', 'vfat', 'swap', 'ramfs', 'tmpfs'] as const;
/** Filesystems that only mark a device as a member of a group; never formatted or mounted by the user. */
export const INTERNAL_FSTYPES = ['lvm-pv', 'raid', 'raid-spare', 'bcache-cache', 'bcache-backing'] as const;
export const FSTYPES = [...DATA_FSTYPES, ...INTERNAL_FSTYPES] as const;
export type DataFsType = (typeof DATA_FSTYPES)[number];
export type InternalFsType = (typeof INTERNAL_FSTYPES)[number];
export type FsType = DataFsType | InternalFsType;
/** Filesystems that live in memory: they take no device (`on` is null), only a mount point. */
export const DEVICELESS_FSTYPES: readonly FsType[] = ['ramfs', 'tmpfs'];

export const RAID_LEVELS = ['raid-0', 'raid-1', 'raid-5', 'raid-6', 'raid-10'] as const;
export type RaidLevel = (typeof RAID_LEVELS)[number];

/** bcache cache modes (Linux Documentation/admin-guide/bcache.rst). MAAS's default is writethrough. */
export const CACHE_MODES = ['writeback', 'writethrough', 'writearound'] as const;
export type CacheMode = (typeof CACHE_MODES)[number];

/** Something that can hold a filesystem or be a group member: a whole block device or a partition. */
export type StorageRef = { kind: 'block'; id: number } | { kind: 'partition'; id: number };

/** Where a virtual block device comes from. */
export type VirtualSource =
  | { kind: 'lv'; volume_group_id: number }
  | { kind: 'raid'; raid_id: number }
  | { kind: 'bcache'; bcache_id: number };

export interface BlockDevice {
  id: number;
  /**
   * Kernel-style name, unique among the tree's devices: `sda`, `nvme0n1`, `md0`, `bcache0`. For a
   * logical volume it is the LV's own name (`lvroot`); its full name is `<vg>-<lv>` (see names.ts).
   */
  name: string;
  type: 'physical' | 'virtual';
  model: string;
  serial: string;
  /** Stable path such as /dev/disk/by-id/wwn-0x5000c500a1b2c3d4; null when unknown (and for virtual devices). */
  id_path: string | null;
  size: number;
  /** Logical sector size in bytes (512 or 4096); partition sector numbers are in this unit. */
  block_size: number;
  /** For virtual devices and partitions of them, the UUID the creator tool is given; null for physical disks. */
  uuid: string | null;
  /** Free-form tags. Commissioning adds `ssd` or `rotary` (see isSsd in names.ts). */
  tags: string[];
  partition_table: PartitionTableType | null;
  /** null for physical devices. */
  source: VirtualSource | null;
}

/**
 * Partition that holds firmware-read boot code and no filesystem: a GPT "BIOS boot" partition for
 * GRUB on BIOS machines, or a PowerPC PReP boot partition on ppc64el.
 */
export type BootCode = 'bios_grub' | 'prep';

export interface Partition {
  id: number;
  device_id: number;
  /** 1-based partition number in the table (sda1, sda2, …). */
  number: number;
  /** Byte offset from the start of the device: a multiple of 1 MiB. */
  offset: number;
  /** Bytes: a multiple of 1 MiB. */
  size: number;
  bootable: boolean;
  /** The GPT unique partition GUID (a UUID string); kept for MBR too, for the API. */
  uuid: string;
  tags: string[];
  boot_code: BootCode | null;
}

export interface Filesystem {
  id: number;
  fstype: FsType;
  /** UUID given to mkfs (FAT: an 8-hex-digit volume id written XXXX-XXXX). */
  uuid: string;
  label: string | null;
  /** Absolute path, or null when not mounted. Swap and internal fstypes are never mounted. */
  mount_point: string | null;
  mount_options: string | null;
  /** The device or partition holding it; null only for ramfs/tmpfs. */
  on: StorageRef | null;
  /**
   * For internal fstypes, the group this member belongs to: lvm-pv → VolumeGroup.id,
   * raid/raid-spare → Raid.id, bcache-cache → CacheSet.id, bcache-backing → Bcache.id. null otherwise.
   */
  group_id: number | null;
}

export interface VolumeGroup {
  id: number;
  name: string;
  uuid: string;
}

export interface Raid {
  id: number;
  /** Array name; also the name of its virtual block device (`md0`). */
  name: string;
  uuid: string;
  level: RaidLevel;
}

export interface CacheSet {
  id: number;
  /** MAAS-style name (`cache0`). */
  name: string;
  /** The cache set UUID given to make-bcache (`--cset-uuid`). */
  uuid: string;
}

export interface Bcache {
  id: number;
  /** Also the name of its virtual block device (`bcache0`). */
  name: string;
  uuid: string;
  cache_set_id: number;
  cache_mode: CacheMode;
}

/** One machine's storage configuration, plus the facts about the machine that shape it. */
export interface StorageTree {
  firmware: Firmware;
  /** MAAS form `<arch>/<subarch>` or a bare arch: `amd64/generic`, `arm64`, `ppc64el/generic`. */
  architecture: string;
  /** The disk the bootloader goes on; null means "the first physical device" (lowest id). */
  boot_disk_id: number | null;
  block_devices: BlockDevice[];
  partitions: Partition[];
  filesystems: Filesystem[];
  volume_groups: VolumeGroup[];
  raids: Raid[];
  cache_sets: CacheSet[];
  bcaches: Bcache[];
}

/** A user-facing problem. `field` names the offending input (a parameter or a document path). */
export interface StorageError {
  field?: string;
  message: string;
}

/** What a layout or a document application returns: the new tree, or why nothing changed. */
export type TreeResult = { tree: StorageTree; errors?: undefined } | { errors: StorageError[]; tree?: undefined };

/**
 * The caller's source of entropy: each call returns a fresh integer in [0, 2^32). The domain never
 * draws randomness itself; pass a seeded generator in tests, a CSPRNG in production.
 */
export type SeedFn = () => number;
