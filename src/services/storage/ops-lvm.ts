/** Volume groups and logical volumes (VolumeGroupsHandler, VolumeGroupHandler). Pure StorageOps. */
import { addFilesystem, addLogicalVolume, addVolumeGroup, vgFree } from '../../domain/storage/builder.ts';
import { isUuid } from '../../domain/storage/ids.ts';
import { LVM_EXTENT } from '../../domain/storage/sizing.ts';
import { alignUp } from '../../domain/storage/units.ts';
import { filesystemOn, formatSize, refName, virtualDevicesOf, type StorageError, type StorageRef, type StorageTree } from '../../domain/storage/index.ts';
import type { StorageOp } from './edit.ts';
import { allFree, draft, dropMembers, fail, need, parseRefs, removeDevice } from './ops-common.ts';

export interface VolumeGroupSpec { name: string; uuid?: string; block_devices: string[]; partitions: string[] }

const uuidError = (uuid: string | undefined): StorageError[] => (uuid !== undefined && !isUuid(uuid) ? [{ field: 'uuid', message: `'${uuid}' is not a valid UUID.` }] : []);

export function createVolumeGroupOp(spec: VolumeGroupSpec): StorageOp {
  return (t, seed) => {
    const b = parseRefs(t, 'block_devices', spec.block_devices, 'block');
    const p = parseRefs(t, 'partitions', spec.partitions, 'partition');
    const errors = [...b.errors, ...p.errors, ...uuidError(spec.uuid), ...allFree(t, 'block_devices', b.refs), ...allFree(t, 'partitions', p.refs)];
    if (!b.refs.length && !p.refs.length && !b.errors.length && !p.errors.length) errors.push({ field: '__all__', message: 'At least one valid block device or partition is required.' });
    if (t.volume_groups.some((g) => g.name === spec.name)) errors.push({ field: 'name', message: `A volume group named ${spec.name} already exists on this machine.` });
    if (errors.length) return { errors };
    const d = draft(t, seed);
    const vg = addVolumeGroup(d, spec.name, [...b.refs, ...p.refs], spec.uuid);
    return { tree: d.tree, created: { kind: 'vg', id: vg.id } };
  };
}

export interface VolumeGroupEdit {
  name?: string; uuid?: string;
  add_block_devices: string[]; remove_block_devices: string[]; add_partitions: string[]; remove_partitions: string[];
}

export function updateVolumeGroupOp(id: number, e: VolumeGroupEdit): StorageOp {
  return (t, seed) => {
    const vg = need(t.volume_groups, id, 'VolumeGroup');
    const addB = parseRefs(t, 'add_block_devices', e.add_block_devices, 'block');
    const addP = parseRefs(t, 'add_partitions', e.add_partitions, 'partition');
    const remB = parseRefs(t, 'remove_block_devices', e.remove_block_devices, 'block');
    const remP = parseRefs(t, 'remove_partitions', e.remove_partitions, 'partition');
    const notPv = (field: string, refs: StorageRef[]) => refs.flatMap((r) => {
      const fs = filesystemOn(t, r);
      return fs?.fstype === 'lvm-pv' && fs.group_id === id ? [] : [{ field, message: `${refName(t, r)} is not a physical volume of ${vg.name}.` }];
    });
    const errors = [
      ...addB.errors, ...addP.errors, ...remB.errors, ...remP.errors, ...uuidError(e.uuid),
      ...allFree(t, 'add_block_devices', addB.refs), ...allFree(t, 'add_partitions', addP.refs),
      ...notPv('remove_block_devices', remB.refs), ...notPv('remove_partitions', remP.refs),
    ];
    if (e.name !== undefined && e.name !== vg.name && t.volume_groups.some((g) => g.name === e.name)) errors.push({ field: 'name', message: `A volume group named ${e.name} already exists on this machine.` });
    if (errors.length) return { errors };
    const d = draft(t, seed);
    const removed = new Set([...remB.refs, ...remP.refs].map((r) => `${r.kind}:${r.id}`));
    d.tree.filesystems = d.tree.filesystems.filter((f) => !(f.on && f.group_id === id && f.fstype === 'lvm-pv' && removed.has(`${f.on.kind}:${f.on.id}`)));
    for (const r of [...addB.refs, ...addP.refs]) addFilesystem(d, r, { fstype: 'lvm-pv', group_id: id });
    d.tree.volume_groups = d.tree.volume_groups.map((g) => (g.id === id ? { ...g, name: e.name ?? g.name, uuid: e.uuid ?? g.uuid } : g));
    return { tree: d.tree };
  };
}

/** Delete a volume group with its logical volumes (refused while one of them is in use elsewhere). */
export function deleteVolumeGroupOp(id: number): StorageOp {
  return (t) => {
    need(t.volume_groups, id, 'VolumeGroup');
    const tree = JSON.parse(JSON.stringify(t)) as StorageTree;
    for (const lv of virtualDevicesOf(t, 'lv', id)) {
      const errors = removeDevice(tree, lv.id);
      if (errors.length) return { errors };
    }
    dropMembers(tree, ['lvm-pv'], id);
    tree.volume_groups = tree.volume_groups.filter((g) => g.id !== id);
    return { tree };
  };
}

export function createLogicalVolumeOp(vgId: number, spec: { name: string; uuid?: string; size?: number }): StorageOp {
  return (t, seed) => {
    const vg = need(t.volume_groups, vgId, 'VolumeGroup');
    const errors = uuidError(spec.uuid);
    if (errors.length) return { errors };
    const free = vgFree(t, vgId);
    if (free < LVM_EXTENT) return fail('size', `No space is left in volume group ${vg.name}.`);
    if (spec.size !== undefined) {
      if (spec.size <= 0) return fail('size', 'Size must be more than zero.');
      if (alignUp(spec.size, LVM_EXTENT) > free) return fail('size', `Size is too large. Maximum size is ${free} (${formatSize(free)}).`);
    }
    if (virtualDevicesOf(t, 'lv', vgId).some((lv) => lv.name === spec.name)) return fail('name', `Volume group ${vg.name} already has a logical volume named ${spec.name}.`);
    const d = draft(t, seed);
    const lv = addLogicalVolume(d, d.tree.volume_groups.find((g) => g.id === vgId)!, spec.name, spec.size, spec.uuid);
    return { tree: d.tree, created: { kind: 'block', id: lv.id } };
  };
}

/** As MAAS does, deleting a logical volume the group does not have succeeds and changes nothing. */
export function deleteLogicalVolumeOp(vgId: number, lvId: number): StorageOp {
  return (t) => {
    need(t.volume_groups, vgId, 'VolumeGroup');
    if (!virtualDevicesOf(t, 'lv', vgId).some((lv) => lv.id === lvId)) return { tree: t };
    const tree = JSON.parse(JSON.stringify(t)) as StorageTree;
    const errors = removeDevice(tree, lvId);
    return errors.length ? { errors } : { tree };
  };
}
