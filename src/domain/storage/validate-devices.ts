/** Validation of block devices and partitions: names, sizes, tables, alignment, overlap, fit. */
import { isUuid } from './ids.ts';
import { FIRST_PARTITION_OFFSET, LVM_EXTENT, MAX_PARTITIONS, usableEnd } from './sizing.ts';
import { deviceName, findDevice, partitionName, partitionsOf } from './tree.ts';
import { ALIGNMENT, formatSize } from './units.ts';
import type { StorageError, StorageTree } from './types.ts';

/** Device, volume-group and LV names: what udev, mdadm and LVM accept without escaping. */
export const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9_.+-]{0,62}$/;
const BLOCK_SIZES = [512, 1024, 2048, 4096];

export function validateDevices(t: StorageTree): StorageError[] {
  const errors: StorageError[] = [];
  const err = (field: string, message: string) => errors.push({ field, message });
  const seenIds = new Set<number>();
  const seenNames = new Map<string, number>();

  for (const d of t.block_devices) {
    const name = deviceName(t, d);
    const field = `block_devices.${name}`;
    if (seenIds.has(d.id)) err(field, `Block device id ${d.id} is used by more than one device.`);
    seenIds.add(d.id);
    if (!NAME_RE.test(d.name)) err(field, `'${d.name}' is not a valid device name: use letters, digits, '.', '_', '+' and '-' (at most 63), starting with a letter or digit.`);
    if (seenNames.has(name)) err(field, `Two block devices are named '${name}'.`);
    seenNames.set(name, d.id);
    if (!Number.isSafeInteger(d.size) || d.size <= 0) err(field, `Size of ${name} must be a positive number of bytes.`);
    if (!BLOCK_SIZES.includes(d.block_size)) err(field, `Block size of ${name} must be one of ${BLOCK_SIZES.join(', ')} bytes, not ${d.block_size}.`);
    if ((d.type === 'virtual') !== (d.source !== null)) err(field, `${name}: only virtual devices have a source (a volume group, RAID or bcache).`);
    if (d.source?.kind === 'lv') {
      if (d.partition_table !== null) err(field, `Logical volume ${name} cannot be partitioned; create more logical volumes instead.`);
      if (d.size % LVM_EXTENT !== 0) err(field, `Size of logical volume ${name} must be a multiple of the 4 MiB LVM extent.`);
    }
    if (d.uuid !== null && d.source !== null && !isUuid(d.uuid)) err(field, `'${d.uuid}' is not a valid UUID.`);
  }

  if (t.boot_disk_id !== null) {
    const b = findDevice(t, t.boot_disk_id);
    if (!b) errors.push({ field: 'boot_disk', message: `Boot disk ${t.boot_disk_id} does not exist.` });
    else if (b.type !== 'physical') errors.push({ field: 'boot_disk', message: `Boot disk ${deviceName(t, b)} must be a physical disk.` });
  }

  errors.push(...validatePartitions(t));
  return errors;
}

function validatePartitions(t: StorageTree): StorageError[] {
  const errors: StorageError[] = [];
  const seenIds = new Set<number>();
  const seenUuids = new Map<string, string>();
  for (const p of t.partitions) {
    const field = `partitions.${partitionName(t, p)}`;
    if (seenIds.has(p.id)) errors.push({ field, message: `Partition id ${p.id} is used by more than one partition.` });
    seenIds.add(p.id);
    const twin = seenUuids.get(p.uuid.toLowerCase());
    if (twin) errors.push({ field, message: `Partition UUID ${p.uuid} is used by both ${twin} and ${partitionName(t, p)}.` });
    seenUuids.set(p.uuid.toLowerCase(), partitionName(t, p));
    const d = findDevice(t, p.device_id);
    if (!d) errors.push({ field, message: `Partition ${p.id} is on block device ${p.device_id}, which does not exist.` });
    else if (d.partition_table === null) errors.push({ field, message: `${deviceName(t, d)} has partitions but no partition table.` });
  }

  for (const d of t.block_devices) {
    if (d.partition_table === null) continue;
    const name = deviceName(t, d);
    const table = d.partition_table;
    const parts = partitionsOf(t, d.id);
    const end = usableEnd(d.size, d.block_size, table);
    if (parts.length > MAX_PARTITIONS[table]) {
      errors.push({ field: `block_devices.${name}`, message: `${name} has ${parts.length} partitions; a ${table} table holds at most ${MAX_PARTITIONS[table]}${table === 'MBR' ? ' (primary partitions; use GPT for more)' : ''}.` });
    }
    const numbers = new Set<number>();
    for (const p of parts) {
      const field = `partitions.${partitionName(t, p)}`;
      const e = (message: string) => errors.push({ field, message });
      if (!Number.isInteger(p.number) || p.number < 1 || p.number > MAX_PARTITIONS[table]) e(`Partition number ${p.number} on ${name} must be between 1 and ${MAX_PARTITIONS[table]}.`);
      if (numbers.has(p.number)) e(`${name} has two partitions numbered ${p.number}.`);
      numbers.add(p.number);
      if (!isUuid(p.uuid)) e(`'${p.uuid}' is not a valid partition UUID.`);
      if (!Number.isSafeInteger(p.size) || p.size <= 0) { e(`Partition size must be a positive number of bytes.`); continue; }
      if (p.offset % ALIGNMENT !== 0 || p.size % ALIGNMENT !== 0) e(`${partitionName(t, p)} must start and end on a 1 MiB boundary (offset ${p.offset}, size ${p.size}).`);
      if (p.offset < FIRST_PARTITION_OFFSET) e(`${partitionName(t, p)} starts at ${p.offset}; partitions start at 1 MiB or later (the partition table lives before that).`);
      if (p.offset + p.size > end) {
        e(`${partitionName(t, p)} (${formatSize(p.size)} at ${formatSize(p.offset)}) does not fit on ${name}: usable space ends at ${formatSize(end)}${table === 'GPT' ? ' (the backup GPT is kept at the end of the disk)' : ''}.`);
      }
      if (p.boot_code === 'bios_grub' && table !== 'GPT') e(`A bios_grub partition only exists on GPT; ${name} is ${table}.`);
    }
    const byOffset = [...parts].sort((a, b) => a.offset - b.offset);
    for (let i = 1; i < byOffset.length; i += 1) {
      const a = byOffset[i - 1];
      const b = byOffset[i];
      if (a.offset + a.size > b.offset) {
        errors.push({ field: `partitions.${partitionName(t, b)}`, message: `${partitionName(t, a)} and ${partitionName(t, b)} overlap.` });
      }
    }
    if (table === 'MBR' && parts.filter((p) => p.bootable).length > 1) {
      errors.push({ field: `block_devices.${name}`, message: `Only one partition on an MBR disk can be marked bootable; ${name} has ${parts.filter((p) => p.bootable).length}.` });
    }
  }
  return errors;
}
