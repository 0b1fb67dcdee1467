/**
 * Volume groups, RAID arrays, bcache devices and cache sets (maas-api-spec.md §10.3), and the storage
 * fields of the machine representation (§10.1).
 */
import {
  bootDisk, humanSizeDecimal, members, virtualDevicesOf, volumeGroupUsage,
  type Bcache, type CacheSet, type Filesystem, type Raid, type VolumeGroup,
} from '../../../domain/storage/index.ts';
import type { MachineRecord } from '../../../store/repos/machines.ts';
import { storageView, type StorageView } from '../../../services/storage/view.ts';
import { renderBlockDevice, renderFilesystem, renderRef } from './blockdevice.ts';
import { uri } from './common.ts';

const memberList = (v: StorageView, fstypes: string[], groupId: number) =>
  members(v.tree, fstypes, groupId).map((f) => renderRef(v, f.on!)).filter((x) => x !== null);

export function renderVolumeGroup(v: StorageView, vg: VolumeGroup) {
  const u = volumeGroupUsage(v.tree, vg.id);
  return {
    system_id: v.system_id, id: vg.id, uuid: vg.uuid, name: vg.name, devices: memberList(v, ['lvm-pv'], vg.id),
    size: u.size, human_size: humanSizeDecimal(u.size), available_size: u.available_size, human_available_size: humanSizeDecimal(u.available_size),
    used_size: u.used_size, human_used_size: humanSizeDecimal(u.used_size),
    logical_volumes: virtualDevicesOf(v.tree, 'lv', vg.id).map((d) => renderBlockDevice(v, d)),
    resource_uri: uri(`/nodes/${v.system_id}/volume-group/${vg.id}/`),
  };
}

export function renderRaid(v: StorageView, r: Raid) {
  const dev = virtualDevicesOf(v.tree, 'raid', r.id)[0];
  const size = dev?.size ?? 0;
  return {
    system_id: v.system_id, id: r.id, uuid: r.uuid, name: r.name, level: r.level, devices: memberList(v, ['raid'], r.id),
    spare_devices: memberList(v, ['raid-spare'], r.id), size, human_size: humanSizeDecimal(size),
    virtual_device: dev ? renderBlockDevice(v, dev) : null, resource_uri: uri(`/nodes/${v.system_id}/raid/${r.id}/`),
  };
}

export function renderCacheSet(v: StorageView, cs: CacheSet) {
  return {
    system_id: v.system_id, id: cs.id, name: cs.name, cache_device: memberList(v, ['bcache-cache'], cs.id)[0] ?? null,
    resource_uri: uri(`/nodes/${v.system_id}/bcache-cache-set/${cs.id}/`),
  };
}

export function renderBcache(v: StorageView, b: Bcache) {
  const dev = virtualDevicesOf(v.tree, 'bcache', b.id)[0];
  const cs = v.tree.cache_sets.find((c) => c.id === b.cache_set_id);
  const size = dev?.size ?? 0;
  return {
    system_id: v.system_id, id: b.id, uuid: b.uuid, name: b.name, cache_set: cs ? renderCacheSet(v, cs) : null,
    backing_device: memberList(v, ['bcache-backing'], b.id)[0] ?? null, size, human_size: humanSizeDecimal(size),
    virtual_device: dev ? renderBlockDevice(v, dev) : null, cache_mode: b.cache_mode,
    resource_uri: uri(`/nodes/${v.system_id}/bcache/${b.id}/`),
  };
}

export const renderSpecialFilesystem = (f: Filesystem) => renderFilesystem(f)!;

/** The storage fields of a machine's JSON. Groups are listed as MAAS does, as incomplete references. */
export function machineStorageFields(m: MachineRecord) {
  const v = storageView(m);
  const t = v.tree;
  const disks = t.block_devices.map((d) => renderBlockDevice(v, d));
  const boot = bootDisk(t);
  const ref = (g: { id: number }) => ({ system_id: m.system_id, id: g.id, __incomplete__: true });
  return {
    disks,
    physical: disks.filter((d) => d.type === 'physical'),
    virtual: disks.filter((d) => d.type === 'virtual'),
    boot_disk: boot ? disks.find((d) => d.id === boot.id) ?? null : null,
    volume_groups: t.volume_groups.map(ref), raids: t.raids.map(ref), bcaches: t.bcaches.map(ref), cache_sets: t.cache_sets.map(ref),
    special_filesystems: t.filesystems.filter((f) => f.on === null).map(renderSpecialFilesystem),
  };
}
