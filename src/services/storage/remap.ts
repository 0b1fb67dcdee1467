/**
 * Ids for entities an edit created. The domain numbers new entities "next free in this tree"; the
 * store hands out ids that are unique across machines (block devices share the physical disks'
 * sequence, so a virtual device can never collide with a disk commissioning adds later). An entity
 * is new when its id is not in the tree the edit started from (the domain numbers fresh entities
 * above every id of that tree, and keeps the ids of entities it reuses).
 */
import type { StorageRef, StorageTree } from '../../domain/storage/index.ts';
import type { IdKind } from '../../store/repos/storage.ts';

export type IdAllocator = (kind: IdKind, n: number) => Promise<number[]>;
export type IdMaps = Record<IdKind, Map<number, number>>;

const idsOf = (t: StorageTree): Record<IdKind, number[]> => ({
  block: t.block_devices.map((d) => d.id), partition: t.partitions.map((p) => p.id), filesystem: t.filesystems.map((f) => f.id),
  vg: t.volume_groups.map((g) => g.id), raid: t.raids.map((g) => g.id), cacheSet: t.cache_sets.map((g) => g.id), bcache: t.bcaches.map((g) => g.id),
});

const KINDS: IdKind[] = ['block', 'partition', 'filesystem', 'vg', 'raid', 'cacheSet', 'bcache'];

const GROUP_KIND: Record<string, IdKind | undefined> = {
  'lvm-pv': 'vg', raid: 'raid', 'raid-spare': 'raid', 'bcache-cache': 'cacheSet', 'bcache-backing': 'bcache',
};

export async function remapNewIds(before: StorageTree, after: StorageTree, alloc: IdAllocator): Promise<{ tree: StorageTree; maps: IdMaps }> {
  const old = idsOf(before);
  const now = idsOf(after);
  const maps = {} as IdMaps;
  for (const k of KINDS) {
    const known = new Set(old[k]);
    const fresh = [...new Set(now[k].filter((id) => !known.has(id)))].sort((a, b) => a - b);
    const ids = await alloc(k, fresh.length);
    maps[k] = new Map(fresh.map((id, i) => [id, ids[i]]));
  }
  const m = (k: IdKind, id: number) => maps[k].get(id) ?? id;
  const ref = (r: StorageRef | null): StorageRef | null => (r ? { kind: r.kind, id: m(r.kind === 'block' ? 'block' : 'partition', r.id) } : null);
  const tree: StorageTree = {
    ...after,
    boot_disk_id: after.boot_disk_id === null ? null : m('block', after.boot_disk_id),
    block_devices: after.block_devices.map((d) => {
      const s = d.source;
      const source = !s ? null : s.kind === 'lv' ? { kind: 'lv' as const, volume_group_id: m('vg', s.volume_group_id) }
        : s.kind === 'raid' ? { kind: 'raid' as const, raid_id: m('raid', s.raid_id) } : { kind: 'bcache' as const, bcache_id: m('bcache', s.bcache_id) };
      return { ...d, id: m('block', d.id), source };
    }),
    partitions: after.partitions.map((p) => ({ ...p, id: m('partition', p.id), device_id: m('block', p.device_id) })),
    filesystems: after.filesystems.map((f) => {
      const gk = GROUP_KIND[f.fstype];
      return { ...f, id: m('filesystem', f.id), on: ref(f.on), group_id: f.group_id === null || !gk ? f.group_id : m(gk, f.group_id) };
    }),
    volume_groups: after.volume_groups.map((g) => ({ ...g, id: m('vg', g.id) })),
    raids: after.raids.map((g) => ({ ...g, id: m('raid', g.id) })),
    cache_sets: after.cache_sets.map((g) => ({ ...g, id: m('cacheSet', g.id) })),
    bcaches: after.bcaches.map((g) => ({ ...g, id: m('bcache', g.id), cache_set_id: m('cacheSet', g.cache_set_id) })),
  };
  return { tree, maps };
}
