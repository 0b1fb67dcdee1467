/**
 * A machine's StorageTree from what the store keeps (block_devices rows + the stored document), and
 * back. Pure. Loading prunes what no longer hangs together (a partition whose disk was removed by a
 * later commissioning, a filesystem on a vanished partition), so a tree is always renderable.
 */
import type { BlockDeviceRow } from '../../store/repos/machines.ts';
import type { StoredStorage } from '../../store/repos/storage.ts';
import type { BlockDevice, Firmware, StorageTree } from '../../domain/storage/index.ts';

export interface StorageNode { architecture: string | null; bios_boot_method: string | null }

/** How the machine boots, from what commissioning recorded: UEFI only when it said so. */
export const firmwareOf = (n: StorageNode): Firmware => (n.bios_boot_method === 'uefi' ? 'uefi' : 'bios');

export const EMPTY_STORED: StoredStorage = {
  partition_tables: {}, virtual_devices: [], partitions: [], filesystems: [], volume_groups: [], raids: [], cache_sets: [], bcaches: [],
};

function physical(row: BlockDeviceRow, doc: StoredStorage): BlockDevice {
  return {
    id: row.id, name: row.name, type: 'physical', model: row.model, serial: row.serial, id_path: row.id_path,
    size: row.size, block_size: row.block_size, uuid: row.uuid, tags: [...row.tags],
    partition_table: doc.partition_tables[String(row.id)] ?? null, source: null,
  };
}

export function assembleTree(node: StorageNode, rows: readonly BlockDeviceRow[], stored: StoredStorage | null): StorageTree {
  const doc = stored ?? EMPTY_STORED;
  const disks = rows.filter((r) => r.type === 'physical');
  const boot = disks.find((r) => r.is_boot);
  const t: StorageTree = {
    firmware: firmwareOf(node), architecture: node.architecture ?? 'amd64/generic', boot_disk_id: boot ? boot.id : null,
    block_devices: [...disks.map((r) => physical(r, doc)), ...doc.virtual_devices.map((d) => ({ ...d, tags: [...d.tags] }))],
    partitions: doc.partitions.map((p) => ({ ...p, tags: [...p.tags] })),
    filesystems: doc.filesystems.map((f) => ({ ...f, on: f.on ? { ...f.on } : null })),
    volume_groups: doc.volume_groups.map((g) => ({ ...g })),
    raids: doc.raids.map((g) => ({ ...g })),
    cache_sets: doc.cache_sets.map((g) => ({ ...g })),
    bcaches: doc.bcaches.map((g) => ({ ...g })),
  };
  return prune(t);
}

/** Drops, until nothing changes, whatever points at something that is gone. */
function prune(t: StorageTree): StorageTree {
  for (;;) {
    const before = t.block_devices.length + t.partitions.length + t.filesystems.length;
    const groupOk = (d: BlockDevice) => {
      const s = d.source;
      if (!s) return true;
      return s.kind === 'lv' ? t.volume_groups.some((g) => g.id === s.volume_group_id)
        : s.kind === 'raid' ? t.raids.some((g) => g.id === s.raid_id) : t.bcaches.some((g) => g.id === s.bcache_id);
    };
    t.block_devices = t.block_devices.filter(groupOk);
    const devices = new Set(t.block_devices.map((d) => d.id));
    t.partitions = t.partitions.filter((p) => devices.has(p.device_id));
    const parts = new Set(t.partitions.map((p) => p.id));
    t.filesystems = t.filesystems.filter((f) => f.on === null || (f.on.kind === 'block' ? devices.has(f.on.id) : parts.has(f.on.id)));
    if (t.block_devices.length + t.partitions.length + t.filesystems.length === before) return t;
  }
}

/** The stored document for a tree (physical disks' own fields are written to their rows separately). */
export function toStored(t: StorageTree): StoredStorage {
  const partition_tables: Record<string, 'GPT' | 'MBR'> = {};
  for (const d of t.block_devices) if (d.type === 'physical' && d.partition_table) partition_tables[String(d.id)] = d.partition_table;
  return {
    partition_tables,
    virtual_devices: t.block_devices.filter((d) => d.type === 'virtual'),
    partitions: t.partitions, filesystems: t.filesystems, volume_groups: t.volume_groups, raids: t.raids,
    cache_sets: t.cache_sets, bcaches: t.bcaches,
  };
}
