/** Block device and partition representations (maas-api-spec.md §10.3), from a machine's storage tree. */
import {
  deviceName, deviceUsage, filesystemOn, partitionName, partitionsOf, usedFor,
  type BlockDevice, type Filesystem, type Partition, type StorageRef,
} from '../../../domain/storage/index.ts';
import type { StorageView } from '../../../services/storage/view.ts';
import { uri } from './common.ts';

export const renderFilesystem = (f: Filesystem | undefined) =>
  (f ? { fstype: f.fstype, label: f.label, uuid: f.uuid, mount_point: f.mount_point, mount_options: f.mount_options } : null);

export const partitionUri = (systemId: string, p: Partition) => uri(`/nodes/${systemId}/blockdevices/${p.device_id}/partition/${p.id}`);
export const blockDeviceUri = (systemId: string, id: number) => uri(`/nodes/${systemId}/blockdevices/${id}/`);

export function renderPartition(v: StorageView, p: Partition) {
  const ref: StorageRef = { kind: 'partition', id: p.id };
  return {
    system_id: v.system_id, device_id: p.device_id, id: p.id, uuid: p.uuid, path: `/dev/disk/by-dname/${partitionName(v.tree, p)}`,
    type: 'partition', size: p.size, bootable: p.bootable, filesystem: renderFilesystem(filesystemOn(v.tree, ref)),
    used_for: usedFor(v.tree, ref), tags: p.tags, resource_uri: partitionUri(v.system_id, p),
  };
}

export function renderBlockDevice(v: StorageView, d: BlockDevice) {
  const t = v.tree;
  const ref: StorageRef = { kind: 'block', id: d.id };
  const name = deviceName(t, d);
  const usage = deviceUsage(t, d);
  return {
    system_id: v.system_id, id: d.id, name, uuid: d.uuid, type: d.type, path: `/dev/disk/by-dname/${name}`,
    model: d.model, serial: d.serial, id_path: d.id_path, size: d.size, block_size: d.block_size,
    available_size: usage.available_size, used_size: usage.used_size, used_for: usedFor(t, ref), tags: d.tags,
    filesystem: renderFilesystem(filesystemOn(t, ref)), partition_table_type: d.partition_table,
    partitions: partitionsOf(t, d.id).map((p) => renderPartition(v, p)), firmware_version: v.firmware_versions.get(d.id) ?? null,
    storage_pool: null, numa_node: 0, resource_uri: blockDeviceUri(v.system_id, d.id),
  };
}

/** A group member: a whole device or a partition. */
export function renderRef(v: StorageView, ref: StorageRef) {
  if (ref.kind === 'block') {
    const d = v.tree.block_devices.find((x) => x.id === ref.id);
    return d ? renderBlockDevice(v, d) : null;
  }
  const p = v.tree.partitions.find((x) => x.id === ref.id);
  return p ? renderPartition(v, p) : null;
}
