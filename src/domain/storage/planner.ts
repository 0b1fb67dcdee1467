/**
 * The storage plan: a validated tree turned into the ordered operations the installer runs. Typed
 * data first (what the installer executes and tests inspect); plan-render.ts turns it into commands
 * and a shell-style script.
 *
 * Order: wipe the used disks' old signatures; per device (in order.ts order) the partition table and
 * its partitions with exact sectors; md arrays; LVM (pvcreate, vgcreate, lvcreate); bcache (cache
 * sets, then backing devices attached to them); mkfs for every filesystem; mounts under the target
 * root, parents before children; fstab entries by UUID.
 */
import { buildOrder, mountOrder, refKey } from './order.ts';
import { usableEnd, FIRST_PARTITION_OFFSET, RAID_LEVEL_NUMBER } from './sizing.ts';
import { devicePath, filesystemOn, findDevice, findPartition, members, partitionPath } from './tree.ts';
import { validateTree } from './validate.ts';
import type {
  BlockDevice, CacheMode, DataFsType, Filesystem, Partition, PartitionTableType, StorageError, StorageRef, StorageTree,
} from './types.ts';

export type PlanOp =
  | { op: 'wipe'; device: string }
  | { op: 'partition-table'; device: string; table: PartitionTableType; sector_size: number; sectors: number; first_usable_sector: number; last_usable_sector: number }
  | {
    op: 'partition'; device: string; path: string; table: PartitionTableType; number: number; sector_size: number;
    /** Inclusive sector range, in units of the device's logical sector size. */
    start_sector: number; end_sector: number;
    /** GPT type code (sgdisk short form, e.g. EF00) or MBR partition id in hex (e.g. 83). */
    type_code: string; bootable: boolean; uuid: string;
  }
  | { op: 'md-create'; path: string; name: string; level: number; devices: string[]; spares: string[]; uuid: string }
  | { op: 'pvcreate'; device: string }
  | { op: 'vgcreate'; name: string; devices: string[] }
  | { op: 'lvcreate'; vg: string; name: string; size: number; path: string }
  | { op: 'bcache-cache'; device: string; cset_uuid: string }
  | { op: 'bcache-backing'; device: string; path: string; cset_uuid: string; cache_mode: CacheMode }
  | { op: 'mkfs'; device: string; fstype: DataFsType; label: string | null; uuid: string }
  | { op: 'mount'; source: string; target: string; fstype: string; options: string }
  | { op: 'fstab'; file: string; spec: string; mount_point: string; vfstype: string; options: string; dump: number; pass: number };

export interface StoragePlan {
  /** Where the new system is mounted during installation. */
  target: string;
  operations: PlanOp[];
}

export interface PlanOptions {
  target?: string;
  /** Require a deployable tree (default true). */
  deployable?: boolean;
}

const GPT_CODES = { esp: 'EF00', bios_grub: 'EF02', prep: '4100', swap: '8200', raid: 'FD00', lvm: '8E00', linux: '8300' };
const MBR_CODES = { esp: 'EF', bios_grub: '83', prep: '41', swap: '82', raid: 'FD', lvm: '8E', linux: '83', fat: '0C' };

function partitionType(t: StorageTree, p: Partition, table: PartitionTableType): string {
  const fs = filesystemOn(t, { kind: 'partition', id: p.id });
  const codes = table === 'GPT' ? GPT_CODES : MBR_CODES;
  if (p.boot_code) return codes[p.boot_code];
  switch (fs?.fstype) {
    case 'swap': return codes.swap;
    case 'raid': case 'raid-spare': return codes.raid;
    case 'lvm-pv': return codes.lvm;
    case 'fat32': case 'vfat':
      if (fs.mount_point === '/boot/efi') return codes.esp;
      return table === 'GPT' ? '0700' : MBR_CODES.fat;
    default: return codes.linux;
  }
}

/** fstab's sixth field: fsck order. Root first, then other fsck-able filesystems; XFS/btrfs/memory never. */
function fsckPass(f: Filesystem): number {
  if (['xfs', 'btrfs', 'swap', 'tmpfs', 'ramfs'].includes(f.fstype)) return 0;
  return f.mount_point === '/' ? 1 : 2;
}

export function planStorage(t: StorageTree, opts: PlanOptions = {}): { plan: StoragePlan; errors?: undefined } | { errors: StorageError[]; plan?: undefined } {
  const errors = validateTree(t, { deployable: opts.deployable ?? true });
  if (errors.length) return { errors };
  const target = (opts.target ?? '/target').replace(/\/+$/, '');
  const steps = buildOrder(t);
  const bcacheOrder = steps.filter((s) => s.kind === 'bcache').map((s) => s.device.id);
  const devPath = (d: BlockDevice) => devicePath(t, d, (x) => bcacheOrder.indexOf(x.id));
  const refPath = (r: StorageRef): string => {
    if (r.kind === 'block') return devPath(findDevice(t, r.id)!);
    const p = findPartition(t, r.id)!;
    return partitionPath(devPath(findDevice(t, p.device_id)!), p.number);
  };
  const ops: PlanOp[] = [];
  for (const s of steps) if (s.kind === 'disk') ops.push({ op: 'wipe', device: devPath(s.device) });

  const createdRefs: StorageRef[] = [];
  for (const s of steps) {
    switch (s.kind) {
      case 'disk': createdRefs.push({ kind: 'block', id: s.device.id }); break;
      case 'table': {
        const d = s.device;
        const ss = d.block_size;
        const end = usableEnd(d.size, ss, d.partition_table!);
        ops.push({ op: 'partition-table', device: devPath(d), table: d.partition_table!, sector_size: ss, sectors: Math.floor(d.size / ss), first_usable_sector: FIRST_PARTITION_OFFSET / ss, last_usable_sector: end / ss - 1 });
        break;
      }
      case 'partition': {
        const { device: d, partition: p } = s;
        const ss = d.block_size;
        ops.push({
          op: 'partition', device: devPath(d), path: refPath({ kind: 'partition', id: p.id }), table: d.partition_table!, number: p.number,
          sector_size: ss, start_sector: p.offset / ss, end_sector: (p.offset + p.size) / ss - 1,
          type_code: partitionType(t, p, d.partition_table!), bootable: p.bootable, uuid: p.uuid,
        });
        createdRefs.push({ kind: 'partition', id: p.id });
        break;
      }
      case 'raid':
        ops.push({
          op: 'md-create', path: devPath(s.device), name: s.raid.name, level: RAID_LEVEL_NUMBER[s.raid.level], uuid: s.raid.uuid,
          devices: members(t, ['raid'], s.raid.id).map((f) => refPath(f.on!)), spares: members(t, ['raid-spare'], s.raid.id).map((f) => refPath(f.on!)),
        });
        createdRefs.push({ kind: 'block', id: s.device.id });
        break;
      case 'vg': {
        const pvs = members(t, ['lvm-pv'], s.vg.id).map((f) => refPath(f.on!));
        for (const pv of pvs) ops.push({ op: 'pvcreate', device: pv });
        ops.push({ op: 'vgcreate', name: s.vg.name, devices: pvs });
        break;
      }
      case 'lv':
        ops.push({ op: 'lvcreate', vg: s.vg.name, name: s.device.name, size: s.device.size, path: devPath(s.device) });
        createdRefs.push({ kind: 'block', id: s.device.id });
        break;
      case 'cache-set': {
        const m = members(t, ['bcache-cache'], s.cacheSet.id)[0];
        ops.push({ op: 'bcache-cache', device: refPath(m.on!), cset_uuid: s.cacheSet.uuid });
        break;
      }
      case 'bcache': {
        const m = members(t, ['bcache-backing'], s.bcache.id)[0];
        const cs = t.cache_sets.find((c) => c.id === s.bcache.cache_set_id)!;
        ops.push({ op: 'bcache-backing', device: refPath(m.on!), path: devPath(s.device), cset_uuid: cs.uuid, cache_mode: s.bcache.cache_mode });
        createdRefs.push({ kind: 'block', id: s.device.id });
        break;
      }
    }
  }

  const order = new Map(createdRefs.map((r, i) => [refKey(r), i]));
  const data = t.filesystems.filter((f) => f.group_id === null && f.on !== null)
    .sort((a, b) => (order.get(refKey(a.on!)) ?? 0) - (order.get(refKey(b.on!)) ?? 0));
  for (const f of data) ops.push({ op: 'mkfs', device: refPath(f.on!), fstype: f.fstype as DataFsType, label: f.label, uuid: f.uuid });

  const mounted = mountOrder(t.filesystems.filter((f) => f.group_id === null && f.fstype !== 'swap'));
  for (const f of mounted) {
    if (f.on === null) continue;
    ops.push({ op: 'mount', source: refPath(f.on), target: `${target}${f.mount_point === '/' ? '' : f.mount_point}`, fstype: vfsType(f), options: f.mount_options ?? 'defaults' });
  }
  const file = `${target}/etc/fstab`;
  for (const f of [...mounted, ...data.filter((x) => x.fstype === 'swap')]) {
    ops.push({
      op: 'fstab', file, spec: f.on === null ? f.fstype : `UUID=${f.uuid}`, mount_point: f.mount_point ?? 'none', vfstype: vfsType(f),
      options: f.mount_options ?? (f.fstype === 'swap' ? 'sw' : 'defaults'), dump: 0, pass: fsckPass(f),
    });
  }
  return { plan: { target, operations: ops } };
}

const vfsType = (f: Filesystem): string => (f.fstype === 'fat32' ? 'vfat' : f.fstype);

