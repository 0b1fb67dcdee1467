/**
 * Read-only queries over a StorageTree: lookups, names, device paths and "what is this used for".
 * Everything here is total: a dangling id yields undefined, never an exception.
 */
import type { BlockDevice, Filesystem, Partition, StorageRef, StorageTree } from './types.ts';

export const emptyTree = (firmware: StorageTree['firmware'], architecture: string): StorageTree => ({
  firmware, architecture, boot_disk_id: null, block_devices: [], partitions: [], filesystems: [],
  volume_groups: [], raids: [], cache_sets: [], bcaches: [],
});

export const findDevice = (t: StorageTree, id: number) => t.block_devices.find((d) => d.id === id);
export const findPartition = (t: StorageTree, id: number) => t.partitions.find((p) => p.id === id);

/** Partitions of a device, in partition-number order. */
export const partitionsOf = (t: StorageTree, deviceId: number): Partition[] =>
  t.partitions.filter((p) => p.device_id === deviceId).sort((a, b) => a.number - b.number);

export const physicalDevices = (t: StorageTree): BlockDevice[] =>
  t.block_devices.filter((d) => d.type === 'physical').sort((a, b) => a.id - b.id);

/** The boot disk: the one named, or else the first physical device (lowest id). */
export function bootDisk(t: StorageTree): BlockDevice | undefined {
  if (t.boot_disk_id !== null) return findDevice(t, t.boot_disk_id);
  return physicalDevices(t)[0];
}

export const sameRef = (a: StorageRef | null, b: StorageRef | null): boolean =>
  a !== null && b !== null && a.kind === b.kind && a.id === b.id;

/** The filesystem on a device or partition (membership filesystems included), if any. */
export const filesystemOn = (t: StorageTree, ref: StorageRef): Filesystem | undefined =>
  t.filesystems.find((f) => sameRef(f.on, ref));

/** The architecture without its subarchitecture: `arm64/generic` → `arm64`. */
export const baseArch = (architecture: string): string => architecture.split('/')[0];

export const isSsd = (d: BlockDevice): boolean => d.tags.includes('ssd');

/** A device's user-facing name: `<vg>-<lv>` for logical volumes, its own name otherwise. */
export function deviceName(t: StorageTree, d: BlockDevice): string {
  if (d.source?.kind === 'lv') {
    const vgId = d.source.volume_group_id;
    const vg = t.volume_groups.find((v) => v.id === vgId);
    return `${vg?.name ?? `vg${vgId}`}-${d.name}`;
  }
  return d.name;
}

/** MAAS-style partition name: `sda-part2`. */
export function partitionName(t: StorageTree, p: Partition): string {
  const d = findDevice(t, p.device_id);
  return `${d ? deviceName(t, d) : `device${p.device_id}`}-part${p.number}`;
}

export function refName(t: StorageTree, ref: StorageRef): string {
  if (ref.kind === 'block') {
    const d = findDevice(t, ref.id);
    return d ? deviceName(t, d) : `block device ${ref.id}`;
  }
  const p = findPartition(t, ref.id);
  return p ? partitionName(t, p) : `partition ${ref.id}`;
}

/** Size of whatever a ref points at (0 when it dangles). */
export function refSize(t: StorageTree, ref: StorageRef): number {
  return (ref.kind === 'block' ? findDevice(t, ref.id)?.size : findPartition(t, ref.id)?.size) ?? 0;
}

/** Name → ref for every device and partition, for resolving names written by users. */
export function nameIndex(t: StorageTree): Map<string, StorageRef> {
  const m = new Map<string, StorageRef>();
  for (const d of t.block_devices) m.set(deviceName(t, d), { kind: 'block', id: d.id });
  for (const p of t.partitions) m.set(partitionName(t, p), { kind: 'partition', id: p.id });
  return m;
}

/**
 * Device node path used by the installer. Physical disks use their stable id_path when known;
 * md arrays get the /dev/md/<name> link mdadm creates; logical volumes /dev/<vg>/<lv>. bcache
 * devices are numbered by the kernel in registration order, so the planner passes `bcacheIndex`
 * (their order of creation in the plan); without it the device's own name is used.
 */
export function devicePath(t: StorageTree, d: BlockDevice, bcacheIndex?: (d: BlockDevice) => number): string {
  switch (d.source?.kind) {
    case 'raid': return `/dev/md/${d.name}`;
    case 'lv': {
      const vgId = d.source.volume_group_id;
      return `/dev/${t.volume_groups.find((v) => v.id === vgId)?.name ?? `vg${vgId}`}/${d.name}`;
    }
    case 'bcache': return `/dev/${bcacheIndex ? `bcache${bcacheIndex(d)}` : d.name}`;
    default: return d.id_path ?? `/dev/${d.name}`;
  }
}

/** Partition node path: `-partN` after by-id links, `pN` after names ending in a digit, else `N`. */
export function partitionPath(parentPath: string, n: number): string {
  if (parentPath.startsWith('/dev/disk/by-')) return `${parentPath}-part${n}`;
  return /\d$/.test(parentPath) ? `${parentPath}p${n}` : `${parentPath}${n}`;
}

/** The devices and partitions a group is built from (its membership filesystems' targets). */
export function members(t: StorageTree, fstypes: readonly string[], groupId: number): Filesystem[] {
  return t.filesystems.filter((f) => fstypes.includes(f.fstype) && f.group_id === groupId && f.on !== null);
}

/** The virtual device a raid/bcache provides, or a volume group's logical volumes. */
export function virtualDevicesOf(t: StorageTree, kind: 'lv' | 'raid' | 'bcache', groupId: number): BlockDevice[] {
  return t.block_devices.filter((d) => {
    const s = d.source;
    if (!s || s.kind !== kind) return false;
    return (s.kind === 'lv' ? s.volume_group_id : s.kind === 'raid' ? s.raid_id : s.bcache_id) === groupId;
  }).sort((a, b) => a.id - b.id);
}

/** MAAS's `used_for` text for a device or partition. */
export function usedFor(t: StorageTree, ref: StorageRef): string {
  if (ref.kind === 'block') {
    const d = findDevice(t, ref.id);
    if (d?.partition_table) {
      const n = partitionsOf(t, d.id).length;
      return `${d.partition_table} partitioned with ${n} partition${n === 1 ? '' : 's'}`;
    }
  }
  const fs = filesystemOn(t, ref);
  if (!fs) return 'Unused';
  const groupName = (list: { id: number; name: string }[]) => list.find((g) => g.id === fs.group_id)?.name ?? '?';
  switch (fs.fstype) {
    case 'lvm-pv': return `lvm-pv for volume group ${groupName(t.volume_groups)}`;
    case 'raid': return `Active raid device for ${groupName(t.raids)}`;
    case 'raid-spare': return `Spare raid device for ${groupName(t.raids)}`;
    case 'bcache-cache': return `Cache device for ${groupName(t.cache_sets)}`;
    case 'bcache-backing': return `Backing device for ${groupName(t.bcaches)}`;
    default:
      return fs.mount_point ? `${fs.fstype} formatted filesystem mounted at ${fs.mount_point}` : `Unmounted ${fs.fstype} formatted filesystem`;
  }
}
