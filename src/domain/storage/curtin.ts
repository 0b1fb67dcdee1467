/**
 * A tree as curtin's storage configuration, version 1: `{storage: {version: 1, config: [...]}}`,
 * a flat list of actions that refer to each other by `id`, in creation order (order.ts), followed
 * by formats and then mounts in mount order. This is the shape MAAS sends to curtin and MAAS users
 * read in `get_curtin_config`; the ids here are our own (`sda`, `sda-part1`, `vg-vgroot`,
 * `vgroot-lvroot`, `format-sda-part1`, `mount-sda-part1`).
 */
import { buildOrder, mountOrder } from './order.ts';
import { RAID_LEVEL_NUMBER } from './sizing.ts';
import { baseArch, bootDisk, deviceName, filesystemOn, members, partitionName, refName } from './tree.ts';
import { MiB } from './units.ts';
import type { BlockDevice, Filesystem, Partition, StorageRef, StorageTree } from './types.ts';

export type CurtinItem = { type: string; id: string } & Record<string, unknown>;
export interface CurtinStorage { storage: { version: 1; config: CurtinItem[] } }

const ptable = (d: BlockDevice) => (d.partition_table === 'GPT' ? { ptable: 'gpt' } : d.partition_table === 'MBR' ? { ptable: 'msdos' } : {});
const size = (bytes: number) => (bytes % MiB === 0 ? `${bytes / MiB}M` : `${bytes}B`);

function partitionFlag(t: StorageTree, p: Partition): string | undefined {
  if (p.boot_code) return p.boot_code;
  const fs = filesystemOn(t, { kind: 'partition', id: p.id });
  if (fs?.mount_point === '/boot/efi' || p.bootable) return 'boot';
  switch (fs?.fstype) {
    case 'swap': return 'swap';
    case 'raid': case 'raid-spare': return 'raid';
    case 'lvm-pv': return 'lvm';
    default: return undefined;
  }
}

export function toCurtinStorage(t: StorageTree): CurtinStorage {
  const config: CurtinItem[] = [];
  const idOf = (r: StorageRef) => refName(t, r);
  const boot = bootDisk(t);
  const uefi = t.firmware === 'uefi' && baseArch(t.architecture) !== 'ppc64el';
  for (const s of buildOrder(t)) {
    switch (s.kind) {
      case 'disk': {
        const d = s.device;
        config.push({
          type: 'disk', id: d.name, name: d.name, ...(d.serial ? { serial: d.serial } : {}), ...(d.id_path ? { path: d.id_path } : {}),
          ...(d.model ? { model: d.model } : {}), ...ptable(d), wipe: 'superblock', preserve: false,
          ...(!uefi && boot?.id === d.id ? { grub_device: true } : {}),
        });
        break;
      }
      case 'table': break; // curtin puts the table on the disk/raid/bcache item itself
      case 'partition': {
        const p = s.partition;
        const flag = partitionFlag(t, p);
        const fs = filesystemOn(t, { kind: 'partition', id: p.id });
        config.push({
          type: 'partition', id: partitionName(t, p), device: deviceName(t, s.device), number: p.number, offset: size(p.offset), size: size(p.size),
          ...(flag ? { flag } : {}), uuid: p.uuid, wipe: 'superblock', preserve: false,
          ...(uefi && fs?.mount_point === '/boot/efi' ? { grub_device: true } : {}),
        });
        break;
      }
      case 'raid':
        config.push({
          type: 'raid', id: s.raid.name, name: s.raid.name, raidlevel: RAID_LEVEL_NUMBER[s.raid.level], metadata: '1.2',
          devices: members(t, ['raid'], s.raid.id).map((f) => idOf(f.on!)), spare_devices: members(t, ['raid-spare'], s.raid.id).map((f) => idOf(f.on!)),
          ...ptable(s.device), preserve: false,
        });
        break;
      case 'vg':
        config.push({ type: 'lvm_volgroup', id: `vg-${s.vg.name}`, name: s.vg.name, devices: members(t, ['lvm-pv'], s.vg.id).map((f) => idOf(f.on!)), preserve: false });
        break;
      case 'lv':
        config.push({ type: 'lvm_partition', id: deviceName(t, s.device), name: s.device.name, volgroup: `vg-${s.vg.name}`, size: size(s.device.size), preserve: false });
        break;
      case 'cache-set': break; // curtin names the cache device on each bcache item
      case 'bcache': {
        const backing = members(t, ['bcache-backing'], s.bcache.id)[0];
        const cache = members(t, ['bcache-cache'], s.bcache.cache_set_id)[0];
        config.push({
          type: 'bcache', id: s.bcache.name, name: s.bcache.name, backing_device: idOf(backing.on!), cache_device: idOf(cache.on!),
          cache_mode: s.bcache.cache_mode, ...ptable(s.device), preserve: false,
        });
        break;
      }
    }
  }
  const formatted = t.filesystems.filter((f) => f.group_id === null && f.on !== null);
  for (const f of formatted) {
    config.push({ type: 'format', id: `format-${idOf(f.on!)}`, volume: idOf(f.on!), fstype: f.fstype, ...(f.label !== null ? { label: f.label } : {}), uuid: f.uuid, preserve: false });
  }
  const mountId = (f: Filesystem) => `mount-${f.on ? idOf(f.on) : f.mount_point!.replace(/\//g, '_')}`;
  for (const f of mountOrder(t.filesystems.filter((x) => x.group_id === null && x.fstype !== 'swap'))) {
    const opts = f.mount_options !== null ? { options: f.mount_options } : {};
    if (f.on) config.push({ type: 'mount', id: mountId(f), device: `format-${idOf(f.on)}`, path: f.mount_point, ...opts });
    else config.push({ type: 'mount', id: mountId(f), spec: f.fstype, fstype: f.fstype, path: f.mount_point, ...opts });
  }
  for (const f of formatted.filter((x) => x.fstype === 'swap')) config.push({ type: 'mount', id: mountId(f), device: `format-${idOf(f.on!)}`, path: 'none' });
  return { storage: { version: 1, config } };
}
