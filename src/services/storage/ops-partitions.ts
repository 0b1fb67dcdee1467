/** Adding and deleting partitions (PartitionsHandler, PartitionHandler). Pure StorageOps. */
import { addPartition, freeTail, setPartitionTable } from '../../domain/storage/builder.ts';
import { isUuid } from '../../domain/storage/ids.ts';
import { defaultTableType } from '../../domain/storage/sizing.ts';
import { baseArch } from '../../domain/storage/tree.ts';
import { alignDown } from '../../domain/storage/units.ts';
import { MiB, deviceName, filesystemOn, formatSize, partitionName, usedFor, type StorageRef } from '../../domain/storage/index.ts';
import type { StorageOp } from './edit.ts';
import { draft, fail, need } from './ops-common.ts';

export interface PartitionSpec { size?: number; uuid?: string; bootable?: boolean }

/** A partition after the last one; the device gets the machine's usual table type when it has none. */
export function createPartitionOp(deviceId: number, spec: PartitionSpec): StorageOp {
  return (t, seed) => {
    const dev = need(t.block_devices, deviceId, 'BlockDevice');
    const name = deviceName(t, dev);
    if (dev.source?.kind === 'lv') return fail('device_id', `Logical volume ${name} cannot be partitioned; create more logical volumes instead.`);
    const ref: StorageRef = { kind: 'block', id: deviceId };
    if (filesystemOn(t, ref)) return fail('device_id', `Cannot create a partition on ${name}: it is in use (${usedFor(t, ref)}).`);
    if (spec.uuid !== undefined && !isUuid(spec.uuid)) return fail('uuid', `'${spec.uuid}' is not a valid UUID.`);
    const d = draft(t, seed);
    const target = d.tree.block_devices.find((x) => x.id === deviceId)!;
    if (!target.partition_table) setPartitionTable(d, deviceId, defaultTableType(t.firmware, baseArch(t.architecture), target));
    const free = freeTail(d.tree, target).size;
    if (free < MiB) return fail('size', `No space is left on ${name} for another partition.`);
    if (spec.size !== undefined) {
      if (alignDown(spec.size) < MiB) return fail('size', `A partition must be at least ${formatSize(MiB)}, not ${formatSize(spec.size)}.`);
      if (alignDown(spec.size) > free) return fail('size', `Partition size ${formatSize(spec.size)} is larger than the ${formatSize(free)} free on ${name}.`);
    }
    const p = addPartition(d, deviceId, { size: spec.size, uuid: spec.uuid, bootable: spec.bootable ?? false });
    return { tree: d.tree, created: { kind: 'partition', id: p.id } };
  };
}

/** Delete a partition and its filesystem; refused while it is a member of a group. */
export function deletePartitionOp(id: number): StorageOp {
  return (t) => {
    const p = need(t.partitions, id, 'Partition');
    const ref: StorageRef = { kind: 'partition', id };
    const fs = filesystemOn(t, ref);
    if (fs && fs.group_id !== null) return fail('id', `Cannot delete ${partitionName(t, p)}: it is in use (${usedFor(t, ref)}).`);
    return {
      tree: {
        ...t,
        partitions: t.partitions.filter((x) => x.id !== id),
        filesystems: t.filesystems.filter((f) => !(f.on?.kind === 'partition' && f.on.id === id)),
      },
    };
  };
}
