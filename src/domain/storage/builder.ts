/**
 * Building blocks the layouts and the document applier use to grow a tree. They work on a Draft, a
 * private deep copy: callers copy the input tree first, so the functions they export stay pure.
 * Builders do not validate; the caller runs validateTree on the result.
 *
 * Identity: every entity a builder creates gets its id and UUID from the draft's `reuse` hook when
 * that knows the entity (same natural key: a partition's device, number, offset and size; a group's
 * name; a filesystem's target and type), otherwise a fresh id and a UUID from the seed. That is what
 * makes applying the same storage document twice give an identical tree.
 */
import { fatVolumeIdFromSeed, idCounter, uuidFromSeed } from './ids.ts';
import { FIRST_PARTITION_OFFSET, LVM_EXTENT, bcacheSize, pvCapacity, raidSize, usableEnd } from './sizing.ts';
import { deviceName, findDevice, members, partitionsOf, refName, refSize, virtualDevicesOf } from './tree.ts';
import { alignDown, alignUp } from './units.ts';
import {
  DEVICELESS_FSTYPES,
  type Bcache, type BlockDevice, type BootCode, type CacheMode, type CacheSet, type FsType, type Partition,
  type PartitionTableType, type Raid, type RaidLevel, type SeedFn, type StorageRef, type StorageTree, type VolumeGroup,
} from './types.ts';

export type Identity = { id: number; uuid: string };

type Kind = 'block' | 'partition' | 'filesystem' | 'vg' | 'raid' | 'cacheSet' | 'bcache';

export interface Draft {
  tree: StorageTree;
  seed: SeedFn;
  next: Record<Kind, () => number>;
  /** Identity of an entity with this natural key in an earlier tree, if any (each is handed out once). */
  reuse?: (key: string) => Identity | undefined;
  /** UUIDs already in use (in the tree and in the id floor): a fresh UUID never repeats one. */
  taken: Set<string>;
}

function uuidsOf(t: StorageTree): string[] {
  return [
    ...t.partitions.map((p) => p.uuid), ...t.filesystems.map((f) => f.uuid), ...t.volume_groups.map((v) => v.uuid),
    ...t.raids.map((r) => r.uuid), ...t.cache_sets.map((c) => c.uuid), ...t.bcaches.map((b) => b.uuid),
    ...t.block_devices.flatMap((d) => (d.uuid ? [d.uuid] : [])),
  ].map((u) => u.toLowerCase());
}

export const cloneTree = (t: StorageTree): StorageTree => JSON.parse(JSON.stringify(t)) as StorageTree;

/**
 * A draft over a copy of `t`. New ids start above every id in `idFloor` (defaults to the copy
 * itself), so identities taken from an older tree never clash with fresh ones.
 */
export function newDraft(t: StorageTree, seed: SeedFn, idFloor: StorageTree = t, reuse?: Draft['reuse']): Draft {
  const tree = cloneTree(t);
  const counter = <T extends { id: number }>(a: T[], b: T[]) => idCounter([...a, ...b]);
  return {
    tree, seed, reuse, taken: new Set([...uuidsOf(idFloor), ...uuidsOf(tree)]),
    next: {
      block: counter(idFloor.block_devices, tree.block_devices),
      partition: counter(idFloor.partitions, tree.partitions),
      filesystem: counter(idFloor.filesystems, tree.filesystems),
      vg: counter(idFloor.volume_groups, tree.volume_groups),
      raid: counter(idFloor.raids, tree.raids),
      cacheSet: counter(idFloor.cache_sets, tree.cache_sets),
      bcache: counter(idFloor.bcaches, tree.bcaches),
    },
  };
}

/**
 * Remove every partition table, partition, device filesystem, group and virtual device: what MAAS
 * does before applying a layout. Physical devices, the boot disk choice and the in-memory
 * filesystems (tmpfs/ramfs mounts, which are not part of a disk layout) stay.
 */
export function clearStorage(t: StorageTree): StorageTree {
  return {
    ...t,
    block_devices: t.block_devices.filter((d) => d.type === 'physical').map((d) => ({ ...d, partition_table: null, tags: [...d.tags] })),
    partitions: [],
    filesystems: t.filesystems.filter((f) => DEVICELESS_FSTYPES.includes(f.fstype)).map((f) => ({ ...f })),
    volume_groups: [], raids: [], cache_sets: [], bcaches: [],
  };
}

/** An identity for a new entity: reused by key, else fresh. An explicit UUID always wins. */
function identity(d: Draft, kind: Kind, key: string, uuid?: string, fat = false): Identity {
  const old = d.reuse?.(key);
  let u = uuid ?? old?.uuid;
  // A repeating seed must not hand out a UUID already in use (fstab and GPT rely on them); a
  // degenerate seed (one that repeats itself) is stirred with the attempt number so this ends.
  for (let attempt = 0; u === undefined || (uuid === undefined && old === undefined && d.taken.has(u.toLowerCase())); attempt += 1) {
    const seed: SeedFn = attempt < 16 ? d.seed : () => (d.seed() + attempt * 0x9e3779b9) >>> 0;
    u = fat ? fatVolumeIdFromSeed(seed) : uuidFromSeed(seed);
  }
  d.taken.add(u.toLowerCase());
  return { id: old?.id ?? d.next[kind](), uuid: u };
}

export function setPartitionTable(d: Draft, deviceId: number, type: PartitionTableType): void {
  const dev = findDevice(d.tree, deviceId);
  if (dev) dev.partition_table = type;
}

/** Where the next partition would start, and how much aligned space is left after it. */
export function freeTail(t: StorageTree, dev: BlockDevice): { offset: number; size: number } {
  const parts = partitionsOf(t, dev.id);
  const offset = parts.reduce((end, p) => Math.max(end, alignUp(p.offset + p.size)), FIRST_PARTITION_OFFSET);
  const end = usableEnd(dev.size, dev.block_size, dev.partition_table ?? 'GPT');
  return { offset, size: Math.max(0, end - offset) };
}

export interface PartitionSpec {
  /** Bytes; rounded down to 1 MiB. Omit for "the rest of the device". */
  size?: number;
  /** Bytes; rounded up to 1 MiB. Omit for "right after the last partition". */
  offset?: number;
  bootable?: boolean;
  boot_code?: BootCode | null;
  uuid?: string;
  tags?: string[];
}

/** Append a partition (numbered after the existing ones). */
export function addPartition(d: Draft, deviceId: number, spec: PartitionSpec): Partition {
  const dev = findDevice(d.tree, deviceId)!;
  const tail = freeTail(d.tree, dev);
  const offset = spec.offset !== undefined ? alignUp(spec.offset) : tail.offset;
  const size = spec.size !== undefined ? alignDown(spec.size) : alignDown(Math.max(0, tail.offset + tail.size - offset));
  const number = partitionsOf(d.tree, deviceId).reduce((n, p) => Math.max(n, p.number), 0) + 1;
  const { id, uuid } = identity(d, 'partition', `part:${deviceName(d.tree, dev)}:${number}:${offset}:${size}`, spec.uuid);
  const p: Partition = {
    id, device_id: deviceId, number, offset, size, bootable: spec.bootable ?? false, uuid,
    tags: spec.tags ? [...spec.tags] : [], boot_code: spec.boot_code ?? null,
  };
  d.tree.partitions.push(p);
  return p;
}

export interface FilesystemSpec {
  fstype: FsType;
  label?: string | null;
  mount_point?: string | null;
  mount_options?: string | null;
  uuid?: string;
  group_id?: number | null;
}

export function addFilesystem(d: Draft, on: StorageRef | null, spec: FilesystemSpec): void {
  const fat = spec.fstype === 'fat32' || spec.fstype === 'vfat';
  const where = on ? refName(d.tree, on) : `memory:${spec.mount_point ?? ''}`;
  const { id, uuid } = identity(d, 'filesystem', `fs:${where}:${spec.fstype}`, spec.uuid, fat);
  d.tree.filesystems.push({
    id, fstype: spec.fstype, uuid, label: spec.label ?? null, mount_point: spec.mount_point ?? null,
    mount_options: spec.mount_options ?? null, on, group_id: spec.group_id ?? null,
  });
}

export function addVolumeGroup(d: Draft, name: string, pvs: StorageRef[], uuid?: string): VolumeGroup {
  const vg: VolumeGroup = { ...identity(d, 'vg', `vg:${name}`, uuid), name };
  d.tree.volume_groups.push(vg);
  for (const on of pvs) addFilesystem(d, on, { fstype: 'lvm-pv', group_id: vg.id });
  return vg;
}

/** Free space in a volume group (whole extents). */
export function vgFree(t: StorageTree, vgId: number): number {
  const capacity = members(t, ['lvm-pv'], vgId).reduce((s, f) => s + pvCapacity(refSize(t, f.on!)), 0);
  return capacity - virtualDevicesOf(t, 'lv', vgId).reduce((s, lv) => s + lv.size, 0);
}

function virtualDevice(d: Draft, name: string, size: number, block_size: number, source: BlockDevice['source'], who: Identity): BlockDevice {
  const dev: BlockDevice = {
    id: who.id, name, type: 'virtual', model: '', serial: '', id_path: null, size, block_size,
    uuid: who.uuid, tags: [], partition_table: null, source,
  };
  d.tree.block_devices.push(dev);
  return dev;
}

/** Virtual devices take the largest logical block size of what they are built on. */
function blockSizeOf(t: StorageTree, refs: StorageRef[]): number {
  let size = 512;
  for (const r of refs) {
    const devId = r.kind === 'block' ? r.id : t.partitions.find((p) => p.id === r.id)?.device_id;
    size = Math.max(size, (devId === undefined ? undefined : findDevice(t, devId))?.block_size ?? 512);
  }
  return size;
}

/** A logical volume of `size` bytes (rounded up to whole extents, as lvcreate does), or all free space. */
export function addLogicalVolume(d: Draft, vg: VolumeGroup, name: string, size: number | undefined, uuid?: string): BlockDevice {
  const bytes = size === undefined ? vgFree(d.tree, vg.id) : alignUp(size, LVM_EXTENT);
  const pvs = members(d.tree, ['lvm-pv'], vg.id).map((f) => f.on!);
  const who = identity(d, 'block', `lv:${vg.name}:${name}`, uuid);
  return virtualDevice(d, name, bytes, blockSizeOf(d.tree, pvs), { kind: 'lv', volume_group_id: vg.id }, who);
}

export function addRaid(d: Draft, name: string, level: RaidLevel, active: StorageRef[], spares: StorageRef[], uuid?: string): { raid: Raid; device: BlockDevice } {
  const raid: Raid = { ...identity(d, 'raid', `raid:${name}`, uuid), name, level };
  d.tree.raids.push(raid);
  for (const on of active) addFilesystem(d, on, { fstype: 'raid', group_id: raid.id });
  for (const on of spares) addFilesystem(d, on, { fstype: 'raid-spare', group_id: raid.id });
  const size = raidSize(level, active.map((r) => refSize(d.tree, r)));
  const who = identity(d, 'block', `raid-device:${name}`, raid.uuid);
  const device = virtualDevice(d, name, size, blockSizeOf(d.tree, active), { kind: 'raid', raid_id: raid.id }, who);
  return { raid, device };
}

export function addCacheSet(d: Draft, on: StorageRef): CacheSet {
  const cs: CacheSet = { ...identity(d, 'cacheSet', `cache-set:${refName(d.tree, on)}`), name: `cache${d.tree.cache_sets.length}` };
  d.tree.cache_sets.push(cs);
  addFilesystem(d, on, { fstype: 'bcache-cache', group_id: cs.id });
  return cs;
}

export function addBcache(d: Draft, name: string, backing: StorageRef, cacheSet: CacheSet, mode: CacheMode, uuid?: string): { bcache: Bcache; device: BlockDevice } {
  const bcache: Bcache = { ...identity(d, 'bcache', `bcache:${name}`, uuid), name, cache_set_id: cacheSet.id, cache_mode: mode };
  d.tree.bcaches.push(bcache);
  addFilesystem(d, backing, { fstype: 'bcache-backing', group_id: bcache.id });
  const size = bcacheSize(refSize(d.tree, backing));
  const who = identity(d, 'block', `bcache-device:${name}`, bcache.uuid);
  const device = virtualDevice(d, name, size, blockSizeOf(d.tree, [backing]), { kind: 'bcache', bcache_id: bcache.id }, who);
  return { bcache, device };
}

/**
 * The natural keys of every entity in `t`, as the builders above compute them, mapped to their
 * identities: pass `reuseFrom(old)` as a draft's `reuse` hook (with `old` as its id floor).
 */
export function reuseFrom(t: StorageTree): (key: string) => Identity | undefined {
  const index = new Map<string, Identity>();
  const put = (key: string, who: Identity) => { if (!index.has(key)) index.set(key, { id: who.id, uuid: who.uuid }); };
  for (const p of t.partitions) {
    const dev = findDevice(t, p.device_id);
    if (dev) put(`part:${deviceName(t, dev)}:${p.number}:${p.offset}:${p.size}`, p);
  }
  for (const f of t.filesystems) put(`fs:${f.on ? refName(t, f.on) : `memory:${f.mount_point ?? ''}`}:${f.fstype}`, f);
  for (const vg of t.volume_groups) put(`vg:${vg.name}`, vg);
  for (const r of t.raids) put(`raid:${r.name}`, r);
  for (const b of t.bcaches) put(`bcache:${b.name}`, b);
  for (const cs of t.cache_sets) {
    const m = members(t, ['bcache-cache'], cs.id)[0];
    if (m?.on) put(`cache-set:${refName(t, m.on)}`, cs);
  }
  for (const dev of t.block_devices) {
    const s = dev.source;
    if (!s || dev.uuid === null) continue;
    const who = { id: dev.id, uuid: dev.uuid };
    if (s.kind === 'lv') put(`lv:${t.volume_groups.find((v) => v.id === s.volume_group_id)?.name}:${dev.name}`, who);
    else put(`${s.kind === 'raid' ? 'raid' : 'bcache'}-device:${dev.name}`, who);
  }
  return (key) => {
    const who = index.get(key);
    index.delete(key);
    return who;
  };
}
