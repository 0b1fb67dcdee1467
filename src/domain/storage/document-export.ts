/**
 * A tree as a storage document: what the API shows as "the current layout", and what, applied back
 * to the same tree, reproduces it exactly (sizes, offsets and UUIDs are written out).
 */
import { filesystemOn, members, partitionsOf, refName, virtualDevicesOf } from './tree.ts';
import type { BlockDevice, Filesystem, StorageRef, StorageTree } from './types.ts';
import type {
  BcacheDoc, DeviceContentDoc, FilesystemDoc, PartitionDoc, RaidDoc, StorageDocument, VolumeGroupDoc,
} from './document-types.ts';

function fsDoc(f: Filesystem | undefined): FilesystemDoc | undefined {
  if (!f || f.group_id !== null) return undefined;
  const doc: FilesystemDoc = { fstype: f.fstype, uuid: f.uuid };
  if (f.label !== null) doc.label = f.label;
  if (f.mount_point !== null) doc.mount_point = f.mount_point;
  if (f.mount_options !== null) doc.mount_options = f.mount_options;
  return doc;
}

function content(t: StorageTree, dev: BlockDevice): DeviceContentDoc {
  if (dev.partition_table) {
    const partitions = partitionsOf(t, dev.id).map((p): PartitionDoc => {
      const doc: PartitionDoc = { size: p.size, offset: p.offset, bootable: p.bootable, uuid: p.uuid };
      if (p.boot_code) doc.boot_code = p.boot_code;
      if (p.tags.length) doc.tags = [...p.tags];
      const fs = fsDoc(filesystemOn(t, { kind: 'partition', id: p.id }));
      if (fs) doc.filesystem = fs;
      return doc;
    });
    return { ptable: dev.partition_table === 'GPT' ? 'gpt' : 'mbr', partitions };
  }
  const fs = fsDoc(filesystemOn(t, { kind: 'block', id: dev.id }));
  return fs ? { filesystem: fs } : {};
}

const names = (t: StorageTree, fs: Filesystem[]) => fs.map((f) => refName(t, f.on as StorageRef));
const byId = <T extends { id: number }>(xs: T[]) => [...xs].sort((a, b) => a.id - b.id);

export function exportDocument(t: StorageTree): StorageDocument {
  const doc: StorageDocument = {};
  const boot = t.boot_disk_id === null ? undefined : t.block_devices.find((d) => d.id === t.boot_disk_id);
  if (boot) doc.boot_disk = boot.name;
  doc.disks = byId(t.block_devices.filter((d) => d.type === 'physical'))
    .map((d) => ({ disk: d.name, ...content(t, d) }))
    .filter((d) => d.partitions || d.filesystem);
  doc.raids = byId(t.raids).map((r): RaidDoc => {
    const dev = virtualDevicesOf(t, 'raid', r.id)[0];
    const spares = names(t, members(t, ['raid-spare'], r.id));
    return { name: r.name, level: r.level, uuid: r.uuid, devices: names(t, members(t, ['raid'], r.id)), ...(spares.length ? { spares } : {}), ...(dev ? content(t, dev) : {}) };
  });
  doc.volume_groups = byId(t.volume_groups).map((vg): VolumeGroupDoc => ({
    name: vg.name, uuid: vg.uuid, devices: names(t, members(t, ['lvm-pv'], vg.id)),
    logical_volumes: virtualDevicesOf(t, 'lv', vg.id).map((lv) => {
      const fs = fsDoc(filesystemOn(t, { kind: 'block', id: lv.id }));
      return { name: lv.name, size: lv.size, ...(lv.uuid ? { uuid: lv.uuid } : {}), ...(fs ? { filesystem: fs } : {}) };
    }),
  }));
  doc.bcaches = byId(t.bcaches).map((b): BcacheDoc => {
    const dev = virtualDevicesOf(t, 'bcache', b.id)[0];
    const backing = members(t, ['bcache-backing'], b.id)[0];
    const cache = members(t, ['bcache-cache'], b.cache_set_id)[0];
    return {
      name: b.name, uuid: b.uuid, cache_mode: b.cache_mode,
      backing: backing?.on ? refName(t, backing.on) : '', cache: cache?.on ? refName(t, cache.on) : '',
      ...(dev ? content(t, dev) : {}),
    };
  });
  doc.special_filesystems = t.filesystems.filter((f) => f.on === null).map((f) => fsDoc(f)!).filter(Boolean);
  for (const k of ['raids', 'volume_groups', 'bcaches'] as const) if (doc[k]?.length === 0) delete doc[k];
  return doc;
}

