/**
 * Applying a storage document (document-types.ts) to a machine's tree.
 *
 * `applyDocument(current, doc, seed)` is pure and deterministic, and it is
 *   - atomic: it returns either a whole new tree or errors; `current` is never modified;
 *   - idempotent: entities that come out the same keep their ids and UUIDs (builder.ts reuseFrom),
 *     so applying a document to the tree it produced returns an identical tree and draws nothing
 *     from `seed`.
 * The API runs it for both the dry run and the real change; only the caller decides to store it.
 */
import {
  addBcache, addCacheSet, addFilesystem, addLogicalVolume, addPartition, addRaid, addVolumeGroup, clearStorage,
  newDraft, reuseFrom, setPartitionTable, vgFree, type Draft,
} from './builder.ts';
import { validateDocument } from './document-validate.ts';
import { defaultTableType, usableEnd, FIRST_PARTITION_OFFSET } from './sizing.ts';
import { baseArch, deviceName, nameIndex } from './tree.ts';
import { parseSize, resolveSize } from './units.ts';
import { validateTree } from './validate.ts';
import type { BlockDevice, SeedFn, StorageError, StorageRef, StorageTree, TreeResult } from './types.ts';
import type {
  BcacheDoc, DeviceContentDoc, FilesystemDoc, RaidDoc, SizeInput, StorageDocument, VolumeGroupDoc,
} from './document-types.ts';

export interface ApplyDocumentOptions {
  /** Require a deployable result (root filesystem, boot partitions). Default true. */
  deployable?: boolean;
}

/** Bytes for a size already checked by validateDocument, measured against `whole` for percentages. */
function bytes(v: SizeInput, whole: number): number {
  const r = parseSize(v, { allowPercent: true });
  return 'error' in r ? 0 : resolveSize(r, whole);
}

function addFs(d: Draft, on: StorageRef, fs: FilesystemDoc): void {
  addFilesystem(d, on, { fstype: fs.fstype, label: fs.label, mount_point: fs.mount_point, mount_options: fs.mount_options, uuid: fs.uuid });
}

/** Put a table with partitions, or a whole-device filesystem, on a device. */
function fillDevice(d: Draft, dev: BlockDevice, doc: DeviceContentDoc, path: string, errors: StorageError[]): void {
  const parts = doc.partitions ?? [];
  if (doc.filesystem && (parts.length || doc.ptable)) {
    errors.push({ field: path, message: `${deviceName(d.tree, dev)} cannot have both a filesystem and a partition table.` });
    return;
  }
  if (doc.filesystem) { addFs(d, { kind: 'block', id: dev.id }, doc.filesystem); return; }
  if (!doc.ptable && !parts.length) return;
  if (dev.source?.kind === 'lv') { errors.push({ field: path, message: `Logical volume ${deviceName(d.tree, dev)} cannot be partitioned.` }); return; }
  const table = doc.ptable ? (doc.ptable.toUpperCase() as 'GPT' | 'MBR') : defaultTableType(d.tree.firmware, baseArch(d.tree.architecture), dev);
  setPartitionTable(d, dev.id, table);
  const area = usableEnd(dev.size, dev.block_size, table) - FIRST_PARTITION_OFFSET;
  parts.forEach((p, i) => {
    const field = `${path}.partitions[${i}]`;
    if (p.size === undefined && i !== parts.length - 1) {
      errors.push({ field: `${field}.size`, message: 'Only the last partition may leave out its size (it takes the rest of the device).' });
      return;
    }
    const offset = p.offset === undefined ? undefined : bytes(p.offset, area);
    const mountsEsp = p.filesystem?.mount_point === '/boot/efi';
    const part = addPartition(d, dev.id, {
      size: p.size === undefined ? undefined : bytes(p.size, area), offset,
      bootable: p.bootable ?? mountsEsp, boot_code: p.boot_code ?? null, uuid: p.uuid, tags: p.tags,
    });
    if (part.size <= 0) errors.push({ field: `${field}.size`, message: `No space is left on ${deviceName(d.tree, dev)} for partition ${part.number}.` });
    if (p.filesystem) addFs(d, { kind: 'partition', id: part.id }, p.filesystem);
  });
}

type Pending =
  | { kind: 'raid'; path: string; doc: RaidDoc }
  | { kind: 'vg'; path: string; doc: VolumeGroupDoc }
  | { kind: 'bcache'; path: string; doc: BcacheDoc };

const refsOf = (p: Pending): { field: string; name: string }[] => {
  const list = (key: string, names: string[] | undefined) => (names ?? []).map((name, i) => ({ field: `${p.path}.${key}[${i}]`, name }));
  if (p.kind === 'raid') return [...list('devices', p.doc.devices), ...list('spares', p.doc.spares)];
  if (p.kind === 'vg') return list('devices', p.doc.devices);
  return [{ field: `${p.path}.backing`, name: p.doc.backing }, { field: `${p.path}.cache`, name: p.doc.cache }];
};

function buildGroup(d: Draft, p: Pending, refs: Map<string, StorageRef>, errors: StorageError[]): void {
  const ref = (name: string) => refs.get(name)!;
  if (p.kind === 'raid') {
    const { device } = addRaid(d, p.doc.name, p.doc.level, p.doc.devices.map(ref), (p.doc.spares ?? []).map(ref), p.doc.uuid);
    fillDevice(d, device, p.doc, p.path, errors);
  } else if (p.kind === 'vg') {
    const vg = addVolumeGroup(d, p.doc.name, p.doc.devices.map(ref), p.doc.uuid);
    const lvs = p.doc.logical_volumes ?? [];
    const capacity = vgFree(d.tree, vg.id);
    lvs.forEach((lv, i) => {
      const field = `${p.path}.logical_volumes[${i}]`;
      if (lv.size === undefined && i !== lvs.length - 1) {
        errors.push({ field: `${field}.size`, message: 'Only the last logical volume may leave out its size (it takes the rest of the volume group).' });
        return;
      }
      const dev = addLogicalVolume(d, vg, lv.name, lv.size === undefined ? undefined : bytes(lv.size, capacity), lv.uuid);
      if (dev.size <= 0) errors.push({ field: `${field}.size`, message: `No space is left in volume group ${vg.name} for ${lv.name}.` });
      if (lv.filesystem) addFs(d, { kind: 'block', id: dev.id }, lv.filesystem);
    });
  } else {
    const cacheRef = ref(p.doc.cache);
    const existing = d.tree.filesystems.find((f) => f.fstype === 'bcache-cache' && f.on?.kind === cacheRef.kind && f.on.id === cacheRef.id);
    const cs = existing ? d.tree.cache_sets.find((c) => c.id === existing.group_id)! : addCacheSet(d, cacheRef);
    const { device } = addBcache(d, p.doc.name, ref(p.doc.backing), cs, p.doc.cache_mode ?? 'writethrough', p.doc.uuid);
    fillDevice(d, device, p.doc, p.path, errors);
  }
}

export function applyDocument(current: StorageTree, input: unknown, seed: SeedFn, opts: ApplyDocumentOptions = {}): TreeResult {
  const checked = validateDocument(input);
  if (checked.errors) return { errors: checked.errors };
  const doc: StorageDocument = checked.doc;
  const d = newDraft(clearStorage(current), seed, current, reuseFrom(current));
  const errors: StorageError[] = [];
  // Disks by name, else by id (a number, or digits that name no disk).
  const physical = (key: string | number) => {
    const disks = d.tree.block_devices.filter((x) => x.type === 'physical');
    return disks.find((x) => x.name === String(key)) ?? (/^\d+$/.test(String(key)) ? disks.find((x) => x.id === Number(key)) : undefined);
  };

  if (doc.special_filesystems) {
    d.tree.filesystems = [];
    for (const fs of doc.special_filesystems) addFilesystem(d, null, { fstype: fs.fstype, label: fs.label, mount_point: fs.mount_point, mount_options: fs.mount_options, uuid: fs.uuid });
  }

  const listed = new Set<number>();
  (doc.disks ?? []).forEach((dd, i) => {
    const dev = physical(dd.disk);
    if (!dev) { errors.push({ field: `disks[${i}].disk`, message: `This machine has no physical disk '${dd.disk}'.` }); return; }
    if (listed.has(dev.id)) { errors.push({ field: `disks[${i}].disk`, message: `Disk ${dev.name} is listed more than once.` }); return; }
    listed.add(dev.id);
    fillDevice(d, dev, dd, `disks[${i}]`, errors);
  });

  // Groups can be built on each other (a VG on a RAID, a bcache on a RAID partition): build each as
  // soon as everything it names exists, in document order among those ready.
  let pending: Pending[] = [
    ...(doc.raids ?? []).map((r, i): Pending => ({ kind: 'raid', path: `raids[${i}]`, doc: r })),
    ...(doc.volume_groups ?? []).map((v, i): Pending => ({ kind: 'vg', path: `volume_groups[${i}]`, doc: v })),
    ...(doc.bcaches ?? []).map((b, i): Pending => ({ kind: 'bcache', path: `bcaches[${i}]`, doc: b })),
  ];
  while (pending.length) {
    const refs = nameIndex(d.tree);
    const ready = pending.find((p) => refsOf(p).every((r) => refs.has(r.name)));
    if (!ready) {
      for (const p of pending) {
        for (const r of refsOf(p)) {
          if (!refs.has(r.name)) errors.push({ field: r.field, message: `No device or partition named '${r.name}' (or it is built from this group, which would be a loop).` });
        }
      }
      break;
    }
    buildGroup(d, ready, refs, errors);
    pending = pending.filter((p) => p !== ready);
  }

  if (doc.boot_disk !== undefined) {
    if (doc.boot_disk === null) d.tree.boot_disk_id = null;
    else {
      const b = physical(doc.boot_disk);
      if (b) d.tree.boot_disk_id = b.id;
      else errors.push({ field: 'boot_disk', message: `This machine has no physical disk '${doc.boot_disk}'.` });
    }
  }

  if (errors.length) return { errors };
  const problems = validateTree(d.tree, { deployable: opts.deployable ?? true });
  return problems.length ? { errors: problems } : { tree: d.tree };
}
