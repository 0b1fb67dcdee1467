/**
 * The order in which a tree's devices come into existence, shared by the planner and the curtin
 * renderer: used physical disks first (each followed by its partition table and partitions), then
 * every group as soon as all its members exist (a RAID, then its partitions; a volume group, then
 * its logical volumes; a cache set; a bcache, then its partitions). Among groups that are ready the
 * order is RAIDs, volume groups, cache sets, bcaches, each by id, so the order is deterministic.
 */
import { filesystemOn, members, partitionsOf, physicalDevices, virtualDevicesOf } from './tree.ts';
import type { Bcache, BlockDevice, CacheSet, Partition, Raid, StorageRef, StorageTree, VolumeGroup } from './types.ts';

export type Step =
  | { kind: 'disk'; device: BlockDevice }
  | { kind: 'table'; device: BlockDevice }
  | { kind: 'partition'; device: BlockDevice; partition: Partition }
  | { kind: 'raid'; raid: Raid; device: BlockDevice }
  | { kind: 'vg'; vg: VolumeGroup }
  | { kind: 'lv'; vg: VolumeGroup; device: BlockDevice }
  | { kind: 'cache-set'; cacheSet: CacheSet }
  | { kind: 'bcache'; bcache: Bcache; device: BlockDevice };

export const refKey = (r: StorageRef): string => `${r.kind}:${r.id}`;

export function buildOrder(t: StorageTree): Step[] {
  const steps: Step[] = [];
  const created = new Set<string>();
  const createDevice = (device: BlockDevice) => {
    created.add(refKey({ kind: 'block', id: device.id }));
    if (!device.partition_table) return;
    steps.push({ kind: 'table', device });
    for (const partition of partitionsOf(t, device.id)) {
      steps.push({ kind: 'partition', device, partition });
      created.add(refKey({ kind: 'partition', id: partition.id }));
    }
  };
  for (const device of physicalDevices(t)) {
    if (!device.partition_table && !filesystemOn(t, { kind: 'block', id: device.id })) continue;
    steps.push({ kind: 'disk', device });
    createDevice(device);
  }

  const exist = (fstypes: string[], groupId: number) => members(t, fstypes, groupId).every((f) => created.has(refKey(f.on!)));
  const doneSets = new Set<number>();
  let raids = [...t.raids].sort((a, b) => a.id - b.id);
  let vgs = [...t.volume_groups].sort((a, b) => a.id - b.id);
  let sets = [...t.cache_sets].sort((a, b) => a.id - b.id);
  let bcaches = [...t.bcaches].sort((a, b) => a.id - b.id);
  for (;;) {
    const raid = raids.find((r) => exist(['raid', 'raid-spare'], r.id));
    if (raid) {
      raids = raids.filter((r) => r !== raid);
      const device = virtualDevicesOf(t, 'raid', raid.id)[0];
      if (device) { steps.push({ kind: 'raid', raid, device }); createDevice(device); }
      continue;
    }
    const vg = vgs.find((v) => exist(['lvm-pv'], v.id));
    if (vg) {
      vgs = vgs.filter((v) => v !== vg);
      steps.push({ kind: 'vg', vg });
      for (const device of virtualDevicesOf(t, 'lv', vg.id)) { steps.push({ kind: 'lv', vg, device }); createDevice(device); }
      continue;
    }
    const cacheSet = sets.find((c) => exist(['bcache-cache'], c.id));
    if (cacheSet) {
      sets = sets.filter((c) => c !== cacheSet);
      steps.push({ kind: 'cache-set', cacheSet });
      doneSets.add(cacheSet.id);
      continue;
    }
    const bcache = bcaches.find((b) => doneSets.has(b.cache_set_id) && exist(['bcache-backing'], b.id));
    if (bcache) {
      bcaches = bcaches.filter((b) => b !== bcache);
      const device = virtualDevicesOf(t, 'bcache', bcache.id)[0];
      if (device) { steps.push({ kind: 'bcache', bcache, device }); createDevice(device); }
      continue;
    }
    return steps;
  }
}

/** Mount order: parents before children (fewer path components first), then by path. */
export function mountOrder<T extends { mount_point: string | null }>(fs: T[]): T[] {
  const depth = (p: string) => (p === '/' ? 0 : p.split('/').length - 1);
  return fs.filter((f) => f.mount_point !== null)
    .sort((a, b) => depth(a.mount_point!) - depth(b.mount_point!) || (a.mount_point! < b.mount_point! ? -1 : a.mount_point! > b.mount_point! ? 1 : 0));
}
