/**
 * A machine's storage in the store (migration 004): physical disks are block_devices rows; the rest of
 * the tree (partition tables, partitions, filesystems, groups, virtual devices) is one JSON document
 * per machine in storage_trees. Ids for new entities come from sequences, in bulk.
 */
import type { BlockDevice, PartitionTableType, StorageTree } from '../../domain/storage/types.ts';
import type { Queryable } from '../db.ts';
import type { BlockDeviceRow } from './machines.ts';

/** What storage_trees.tree holds. */
export interface StoredStorage extends Pick<StorageTree, 'partitions' | 'filesystems' | 'volume_groups' | 'raids' | 'cache_sets' | 'bcaches'> {
  /** Physical block device id → its partition table. */
  partition_tables: Record<string, PartitionTableType>;
  virtual_devices: BlockDevice[];
}

export type IdKind = 'block' | 'partition' | 'filesystem' | 'vg' | 'raid' | 'cacheSet' | 'bcache';

const SEQUENCES: Record<IdKind, string> = {
  block: "pg_get_serial_sequence('block_devices', 'id')",
  partition: "'storage_partition_ids'", filesystem: "'storage_filesystem_ids'", vg: "'storage_volume_group_ids'",
  raid: "'storage_raid_ids'", cacheSet: "'storage_cache_set_ids'", bcache: "'storage_bcache_ids'",
};

/** `n` fresh ids of one kind, ascending. */
export async function allocateIds(q: Queryable, kind: IdKind, n: number): Promise<number[]> {
  if (n <= 0) return [];
  const rows = await q.query<{ id: number }>(`select nextval(${SEQUENCES[kind]})::int as id from generate_series(1, $1::int)`, [n]);
  return rows.map((r) => r.id).sort((a, b) => a - b);
}

/** Stored trees of several machines (machines without one are absent from the map). */
export async function loadStorageDocs(q: Queryable, nodeIds: number[]): Promise<Map<number, StoredStorage>> {
  const rows = await q.query<{ node_id: number; tree: StoredStorage }>('select node_id, tree from storage_trees where node_id = any($1::int[])', [nodeIds]);
  return new Map(rows.map((r) => [r.node_id, r.tree]));
}

export const storageRepo = {
  async load(q: Queryable, nodeId: number): Promise<StoredStorage | null> {
    return (await loadStorageDocs(q, [nodeId])).get(nodeId) ?? null;
  },
  save: (q: Queryable, nodeId: number, doc: StoredStorage) =>
    q.query(
      `insert into storage_trees (node_id, tree) values ($1, $2::jsonb)
       on conflict (node_id) do update set tree = excluded.tree, updated = now()`,
      [nodeId, JSON.stringify(doc)],
    ),
  blockDevices: (q: Queryable, nodeId: number) =>
    q.query<BlockDeviceRow>('select * from block_devices where node_id = $1 order by id', [nodeId]),
};

/** The columns of a physical disk the storage edits may write. */
export interface PhysicalDiskFields {
  name: string; model: string; serial: string; id_path: string | null; size: number; block_size: number;
  tags: string[]; is_boot: boolean;
}

export const physicalDisksRepo = {
  insert: (q: Queryable, nodeId: number, id: number, d: PhysicalDiskFields) =>
    q.query(
      `insert into block_devices (id, node_id, name, type, model, serial, id_path, size, block_size, tags, is_boot)
       values ($1, $2, $3, 'physical', $4, $5, $6, $7, $8, $9, $10)`,
      [id, nodeId, d.name, d.model, d.serial, d.id_path, d.size, d.block_size, d.tags, d.is_boot],
    ),
  update: (q: Queryable, nodeId: number, id: number, d: PhysicalDiskFields) =>
    q.query(
      `update block_devices set name = $3, model = $4, serial = $5, id_path = $6, size = $7, block_size = $8, tags = $9, is_boot = $10
        where id = $1 and node_id = $2`,
      [id, nodeId, d.name, d.model, d.serial, d.id_path, d.size, d.block_size, d.tags, d.is_boot],
    ),
  delete: (q: Queryable, nodeId: number, id: number) => q.query('delete from block_devices where id = $1 and node_id = $2', [id, nodeId]),
};

/** The custom layout commissioning reported for a machine (migration 008). */
export const customLayoutsRepo = {
  get: async (q: Queryable, nodeId: number) =>
    (await q.query<{ document: unknown }>('select document from custom_storage_layouts where node_id = $1', [nodeId]))[0]?.document,
  set: (q: Queryable, nodeId: number, document: unknown, source: string) =>
    q.query(
      `insert into custom_storage_layouts (node_id, document, source) values ($1, $2::jsonb, $3)
       on conflict (node_id) do update set document = excluded.document, source = excluded.source, updated = now()`,
      [nodeId, JSON.stringify(document), source]),
};
