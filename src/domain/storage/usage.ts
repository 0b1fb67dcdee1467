/**
 * How much of a device, partition or volume group is used and free, as the MAAS API reports it
 * (`used_size`, `available_size`, maas-api-spec.md §10.3).
 */
import { vgFree } from './builder.ts';
import { FIRST_PARTITION_OFFSET, pvCapacity, usableEnd } from './sizing.ts';
import { filesystemOn, members, partitionsOf, refSize } from './tree.ts';
import type { BlockDevice, StorageRef, StorageTree } from './types.ts';

export interface Usage { used_size: number; available_size: number }

export function deviceUsage(t: StorageTree, d: BlockDevice): Usage {
  if (d.partition_table) {
    const used = partitionsOf(t, d.id).reduce((s, p) => s + p.size, 0);
    const area = usableEnd(d.size, d.block_size, d.partition_table) - FIRST_PARTITION_OFFSET;
    return { used_size: d.size - Math.max(0, area - used), available_size: Math.max(0, area - used) };
  }
  return refUsage(t, { kind: 'block', id: d.id });
}

/** A partition, or an unpartitioned device: all used once something is on it. */
export function refUsage(t: StorageTree, ref: StorageRef): Usage {
  const size = refSize(t, ref);
  return filesystemOn(t, ref) ? { used_size: size, available_size: 0 } : { used_size: 0, available_size: size };
}

export function volumeGroupUsage(t: StorageTree, vgId: number): Usage & { size: number } {
  const size = members(t, ['lvm-pv'], vgId).reduce((s, f) => s + pvCapacity(refSize(t, f.on!)), 0);
  const available = vgFree(t, vgId);
  return { size, used_size: size - available, available_size: available };
}
