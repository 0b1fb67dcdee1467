/**
 * A machine's physical block devices from the disks commissioning found. A disk is the same disk when
 * its /dev/disk/by-id path matches, else its serial (with the model), else — only for disks that have
 * neither, such as virtio disks without a serial — its kernel name. A known disk keeps its row (its id,
 * and so the partitions and filesystems built on it, its user tags and the boot flag) and takes the
 * reported name, model, serial, sizes and firmware; a disk no longer reported is deleted (what was built
 * on it is pruned when the tree is next loaded, services/storage/tree.ts). The tags commissioning owns
 * (ssd or rotary, removable) are recomputed; tags users added stay.
 */
import type { BlockDeviceRow } from '../../store/repos/machines.ts';
import { storageRepo } from '../../store/repos/storage.ts';
import type { Queryable } from '../context.ts';
import type { DiskFacts } from './facts.ts';

export const DERIVED_DISK_TAGS = ['ssd', 'rotary', 'removable'];

export interface DiskChanges { added: string[]; updated: string[]; removed: string[] }

export function diskTags(d: DiskFacts, current: readonly string[] = []): string[] {
  const tags = current.filter((t) => !DERIVED_DISK_TAGS.includes(t));
  tags.push(d.rotational ? 'rotary' : 'ssd');
  if (d.removable) tags.push('removable');
  return [...new Set(tags)];
}

function match(rows: BlockDeviceRow[], d: DiskFacts, used: Set<number>): BlockDeviceRow | undefined {
  const free = rows.filter((r) => !used.has(r.id));
  if (d.id_path) {
    const hit = free.find((r) => r.id_path === d.id_path);
    if (hit) return hit;
  }
  if (d.serial) {
    const hit = free.find((r) => r.serial === d.serial && (r.model === d.model || !r.model || !d.model));
    if (hit) return hit;
  }
  if (!d.id_path && !d.serial) return free.find((r) => !r.id_path && !r.serial && r.name === d.name);
  return undefined;
}

export async function applyDisks(q: Queryable, nodeId: number, disks: DiskFacts[]): Promise<DiskChanges> {
  const rows = (await storageRepo.blockDevices(q, nodeId)).filter((r) => r.type === 'physical');
  const used = new Set<number>();
  const pairs = disks.map((d) => {
    const row = match(rows, d, used);
    if (row) used.add(row.id);
    return { d, row };
  });
  const gone = rows.filter((r) => !used.has(r.id));
  for (const r of gone) await q.query('delete from block_devices where id = $1', [r.id]);
  // Names may move between disks (sda <-> sdb after a cabling change): park the kept ones first.
  for (const r of rows.filter((x) => used.has(x.id))) await q.query('update block_devices set name = $2 where id = $1', [r.id, `plinth-tmp-${r.id}`]);

  const changes: DiskChanges = { added: [], updated: [], removed: gone.map((g) => g.name) };
  for (const { d, row } of pairs) {
    const values = [d.name, d.model, d.serial, d.id_path, d.size, d.block_size ?? 512, diskTags(d, row?.tags), d.firmware_version];
    if (row) {
      await q.query(
        `update block_devices set name = $2, model = $3, serial = $4, id_path = $5, size = $6, block_size = $7, tags = $8::text[],
                firmware_version = $9 where id = $1`, [row.id, ...values]);
      changes.updated.push(d.name);
    } else {
      await q.query(
        `insert into block_devices (node_id, name, type, model, serial, id_path, size, block_size, tags, firmware_version)
         values ($1, $2, 'physical', $3, $4, $5, $6, $7, $8::text[], $9)`, [nodeId, ...values]);
      changes.added.push(d.name);
    }
  }
  // A machine needs a boot disk: when it has none (first commissioning, or it was removed), the first
  // disk the kernel lists is it, as MAAS chooses.
  const boot = await q.query<{ id: number }>('select id from block_devices where node_id = $1 and type = $2 and is_boot', [nodeId, 'physical']);
  if (!boot.length && disks.length) {
    await q.query('update block_devices set is_boot = true where node_id = $1 and name = $2 and type = $3', [nodeId, disks[0].name, 'physical']);
  }
  return changes;
}
