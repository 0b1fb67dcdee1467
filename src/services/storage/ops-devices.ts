/**
 * Edits of one block device or partition (BlockDeviceHandler, PartitionHandler): format, unformat,
 * mount, unmount, tags, the boot disk, a device's own fields, adding and removing physical disks and
 * deleting virtual devices. Each returns a StorageOp; editStorage validates and stores the result.
 */
import { addFilesystem } from '../../domain/storage/builder.ts';
import { isFatVolumeId, isUuid } from '../../domain/storage/ids.ts';
import { LVM_EXTENT } from '../../domain/storage/sizing.ts';
import { alignUp } from '../../domain/storage/units.ts';
import { mountPointProblem } from '../../domain/storage/validate-filesystems.ts';
import {
  DATA_FSTYPES, DEVICELESS_FSTYPES, deviceName, filesystemOn, refName, usedFor,
  type BlockDevice, type FsType, type StorageRef, type StorageTree,
} from '../../domain/storage/index.ts';
import type { StorageOp } from './edit.ts';
import { draft, dropMembers, fail, need, needRef, removeDevice } from './ops-common.ts';

/** What `format` accepts: data filesystems that live on a device (tmpfs/ramfs are special mounts). */
export const FORMAT_FSTYPES: readonly string[] = DATA_FSTYPES.filter((f) => !DEVICELESS_FSTYPES.includes(f));

const what = (ref: StorageRef) => (ref.kind === 'block' ? 'block device' : 'partition');

export function formatOp(ref: StorageRef, spec: { fstype: string; uuid?: string; label?: string }): StorageOp {
  return (t, seed) => {
    needRef(t, ref);
    if (!FORMAT_FSTYPES.includes(spec.fstype)) return fail('fstype', `Select a valid choice. ${spec.fstype} is not one of the available choices.`);
    const fat = spec.fstype === 'fat32' || spec.fstype === 'vfat';
    if (spec.uuid !== undefined && !(fat ? isFatVolumeId(spec.uuid) : isUuid(spec.uuid))) {
      return fail('uuid', `'${spec.uuid}' is not a valid ${fat ? 'FAT volume id (XXXX-XXXX)' : 'UUID'}.`);
    }
    if (ref.kind === 'block' && t.block_devices.find((d) => d.id === ref.id)?.partition_table) {
      return fail('fstype', `Cannot format ${refName(t, ref)}: it has a partition table. Format its partitions, or delete them first.`);
    }
    const old = filesystemOn(t, ref);
    if (old?.group_id !== undefined && old.group_id !== null) return fail('fstype', `Cannot format ${refName(t, ref)}: it is in use (${usedFor(t, ref)}).`);
    if (old?.mount_point) return fail('fstype', `Cannot format ${refName(t, ref)}: its filesystem is mounted at ${old.mount_point}. Unmount it first.`);
    const d = draft(t, seed);
    if (old) d.tree.filesystems = d.tree.filesystems.filter((f) => f.id !== old.id);
    addFilesystem(d, ref, { fstype: spec.fstype as FsType, label: spec.label || null, uuid: spec.uuid });
    return { tree: d.tree };
  };
}

export function unformatOp(ref: StorageRef): StorageOp {
  return (t) => {
    needRef(t, ref);
    const fs = filesystemOn(t, ref);
    if (!fs) return fail('id', `${refName(t, ref)} is not formatted.`);
    if (fs.group_id !== null) return fail('id', `Cannot unformat ${refName(t, ref)}: it is in use (${usedFor(t, ref)}). Remove it from there first.`);
    if (fs.mount_point) return fail('id', `Filesystem is mounted and cannot be unformatted. Unmount the filesystem before unformatting the ${what(ref)}.`);
    return { tree: { ...t, filesystems: t.filesystems.filter((f) => f.id !== fs.id) } };
  };
}

export function mountOp(ref: StorageRef, mountPoint: string, mountOptions?: string): StorageOp {
  return (t) => {
    needRef(t, ref);
    const fs = filesystemOn(t, ref);
    if (!fs) return fail('mount_point', `Cannot mount an unformatted ${what(ref)}.`);
    if (fs.group_id !== null) return fail('mount_point', `Cannot mount ${refName(t, ref)}: it is in use (${usedFor(t, ref)}).`);
    const options = mountOptions === undefined || mountOptions.trim() === '' ? null : mountOptions.trim();
    // MAAS clients enable swap by "mounting" it at none; swap has no mount point of its own.
    if (fs.fstype === 'swap') {
      if (mountPoint !== 'none') return fail('mount_point', `Swap is activated, not mounted: use mount_point=none for ${refName(t, ref)}.`);
      return { tree: { ...t, filesystems: t.filesystems.map((f) => (f.id === fs.id ? { ...f, mount_options: options } : f)) } };
    }
    const problem = mountPointProblem(mountPoint);
    if (problem) return fail('mount_point', problem);
    return { tree: { ...t, filesystems: t.filesystems.map((f) => (f.id === fs.id ? { ...f, mount_point: mountPoint, mount_options: options } : f)) } };
  };
}

export function unmountOp(ref: StorageRef): StorageOp {
  return (t) => {
    needRef(t, ref);
    const fs = filesystemOn(t, ref);
    if (!fs) return fail('id', `${refName(t, ref)} is not formatted.`);
    if (fs.group_id !== null) return fail('id', `${refName(t, ref)} is in use (${usedFor(t, ref)}) and is not mounted.`);
    if (fs.mount_point === null && fs.mount_options === null) return fail('id', 'Filesystem is already unmounted.');
    return { tree: { ...t, filesystems: t.filesystems.map((f) => (f.id === fs.id ? { ...f, mount_point: null, mount_options: null } : f)) } };
  };
}

export function tagOp(ref: StorageRef, tag: string, add: boolean): StorageOp {
  return (t) => {
    needRef(t, ref);
    const name = tag.trim();
    if (!name || /[\s,]/.test(name)) return fail('tag', 'A tag is a non-empty word without spaces or commas.');
    const edit = (tags: string[]) => (add ? (tags.includes(name) ? tags : [...tags, name]) : tags.filter((x) => x !== name));
    if (ref.kind === 'block') return { tree: { ...t, block_devices: t.block_devices.map((d) => (d.id === ref.id ? { ...d, tags: edit(d.tags) } : d)) } };
    return { tree: { ...t, partitions: t.partitions.map((p) => (p.id === ref.id ? { ...p, tags: edit(p.tags) } : p)) } };
  };
}

export function setBootDiskOp(id: number): StorageOp {
  return (t) => {
    const dev = need(t.block_devices, id, 'BlockDevice');
    if (dev.type !== 'physical') return fail('id', 'Cannot set a virtual block device as the boot disk.');
    return { tree: { ...t, boot_disk_id: id } };
  };
}

export interface DiskFields { name?: string; model?: string; serial?: string; id_path?: string; size?: number; block_size?: number; uuid?: string }

/** A new physical disk (what commissioning would find; admins may add one by hand). */
export function createDiskOp(f: DiskFields & { name: string; size: number; block_size: number }): StorageOp {
  return (t) => {
    if (!f.id_path && !(f.model && f.serial)) return fail('__all__', 'serial/model are required if id_path is not provided.');
    const id = t.block_devices.reduce((m, d) => Math.max(m, d.id), 0) + 1;
    const disk: BlockDevice = {
      id, name: f.name, type: 'physical', model: f.model ?? '', serial: f.serial ?? '', id_path: f.id_path || null,
      size: f.size, block_size: f.block_size, uuid: null, tags: [], partition_table: null, source: null,
    };
    return { tree: { ...t, block_devices: [...t.block_devices, disk] }, created: { kind: 'block', id } };
  };
}

/** Physical disks: name, model, serial, id_path, size, block_size. Virtual: name, uuid, and an LV's size. */
export function updateDeviceOp(id: number, f: DiskFields): StorageOp {
  return (t) => {
    const dev = need(t.block_devices, id, 'BlockDevice');
    if (dev.type === 'physical') {
      if (f.uuid !== undefined) return fail('uuid', 'The UUID of a physical disk is what the disk reports; it cannot be set.');
      const next = { ...dev, name: f.name ?? dev.name, model: f.model ?? dev.model, serial: f.serial ?? dev.serial,
        id_path: f.id_path === undefined ? dev.id_path : f.id_path || null, size: f.size ?? dev.size, block_size: f.block_size ?? dev.block_size };
      return { tree: { ...t, block_devices: t.block_devices.map((d) => (d.id === id ? next : d)) } };
    }
    for (const k of ['model', 'serial', 'id_path', 'block_size'] as const) {
      if (f[k] !== undefined) return fail(k, `${k} belongs to physical disks; ${deviceName(t, dev)} is virtual.`);
    }
    if (f.uuid !== undefined && !isUuid(f.uuid)) return fail('uuid', `'${f.uuid}' is not a valid UUID.`);
    const s = dev.source!;
    if (f.size !== undefined && s.kind !== 'lv') return fail('size', `The size of ${dev.name} follows from its members; it cannot be set.`);
    const next: BlockDevice = { ...dev, name: f.name ?? dev.name, uuid: f.uuid ?? dev.uuid, size: f.size === undefined ? dev.size : alignUp(f.size, LVM_EXTENT) };
    const tree: StorageTree = { ...t, block_devices: t.block_devices.map((d) => (d.id === id ? next : d)) };
    // A RAID's or bcache's device carries the group's name and UUID.
    if (s.kind === 'raid') tree.raids = t.raids.map((r) => (r.id === s.raid_id ? { ...r, name: next.name, uuid: next.uuid ?? r.uuid } : r));
    if (s.kind === 'bcache') tree.bcaches = t.bcaches.map((b) => (b.id === s.bcache_id ? { ...b, name: next.name, uuid: next.uuid ?? b.uuid } : b));
    return { tree };
  };
}

/**
 * Delete a device. A physical disk must be unused; a logical volume goes with its filesystem; the
 * device of a RAID or bcache takes the RAID or bcache with it (its members become free).
 */
export function deleteDeviceOp(id: number): StorageOp {
  return (t) => {
    const dev = need(t.block_devices, id, 'BlockDevice');
    const tree: StorageTree = JSON.parse(JSON.stringify(t)) as StorageTree;
    if (dev.type === 'physical') {
      const ref: StorageRef = { kind: 'block', id };
      if (dev.partition_table || filesystemOn(t, ref)) return fail('id', `Cannot delete ${dev.name}: it is in use (${usedFor(t, ref)}). Remove what is on it first.`);
      tree.block_devices = tree.block_devices.filter((d) => d.id !== id);
      if (tree.boot_disk_id === id) tree.boot_disk_id = null;
      return { tree };
    }
    const errors = removeDevice(tree, id);
    if (errors.length) return { errors };
    const s = dev.source!;
    if (s.kind === 'raid') { dropMembers(tree, ['raid', 'raid-spare'], s.raid_id); tree.raids = tree.raids.filter((r) => r.id !== s.raid_id); }
    if (s.kind === 'bcache') { dropMembers(tree, ['bcache-backing'], s.bcache_id); tree.bcaches = tree.bcaches.filter((b) => b.id !== s.bcache_id); }
    return { tree };
  };
}
