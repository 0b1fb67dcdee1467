/**
 * The start every disk layout shares (maas-api-spec.md §8.1): a partition table on the boot disk,
 * the firmware's boot partition, an optional /boot, then the root partition (on the boot disk or on
 * `root_device`). The layout decides what the root partition becomes.
 */
import { addFilesystem, addPartition, freeTail, setPartitionTable, type Draft } from '../builder.ts';
import { defaultTableType } from '../sizing.ts';
import { baseArch, bootDisk, deviceName, findDevice } from '../tree.ts';
import { GiB, MiB, formatSize, resolveSize } from '../units.ts';
import type { Partition, StorageError } from '../types.ts';
import type { LayoutParams } from './params.ts';

export const MIN_BOOT_SIZE = 512 * MiB;
export const MIN_ROOT_SIZE = 3 * GiB;
export const ESP_SIZE = 512 * MiB;
export const BIOS_GRUB_SIZE = MiB;
export const PREP_SIZE = 8 * MiB;

export type LayoutStep = { errors: StorageError[]; root?: Partition };

export function basicLayout(d: Draft, p: LayoutParams, opts: { defaultBootSize?: number } = {}): LayoutStep {
  const t = d.tree;
  const disk = bootDisk(t);
  if (!disk) return { errors: [{ field: 'boot_disk', message: 'This machine has no block devices to lay out.' }] };
  const rootDev = p.root_device !== undefined ? findDevice(t, p.root_device)! : disk;
  const arch = baseArch(t.architecture);
  const errors: StorageError[] = [];

  setPartitionTable(d, disk.id, defaultTableType(t.firmware, arch, disk));
  if (arch === 'ppc64el') {
    addPartition(d, disk.id, { size: PREP_SIZE, bootable: true, boot_code: 'prep' });
  } else if (t.firmware === 'uefi') {
    const esp = addPartition(d, disk.id, { size: ESP_SIZE, bootable: true });
    addFilesystem(d, { kind: 'partition', id: esp.id }, { fstype: 'fat32', label: 'efi', mount_point: '/boot/efi' });
  } else if (disk.partition_table === 'GPT') {
    addPartition(d, disk.id, { size: BIOS_GRUB_SIZE, boot_code: 'bios_grub' });
  }

  const bootSize = p.boot_size ?? opts.defaultBootSize ?? (arch === 'arm64' && t.firmware === 'bios' ? MIN_BOOT_SIZE : 0);
  if (bootSize > 0) {
    const free = freeTail(t, disk).size;
    if (bootSize < MIN_BOOT_SIZE) errors.push({ field: 'boot_size', message: `boot_size must be at least ${formatSize(MIN_BOOT_SIZE)}, not ${formatSize(bootSize)}.` });
    else if (bootSize > free) errors.push({ field: 'boot_size', message: `boot_size (${formatSize(bootSize)}) is larger than the ${formatSize(free)} free on ${deviceName(t, disk)}.` });
    else {
      const boot = addPartition(d, disk.id, { size: bootSize });
      addFilesystem(d, { kind: 'partition', id: boot.id }, { fstype: 'ext4', label: 'boot', mount_point: '/boot' });
    }
  }
  if (errors.length) return { errors };

  if (rootDev.id !== disk.id) setPartitionTable(d, rootDev.id, defaultTableType(t.firmware, arch, rootDev));
  const free = freeTail(t, rootDev).size;
  const field = p.root_size ? 'root_size' : p.root_device !== undefined ? 'root_device' : 'boot_disk';
  const size = p.root_size ? resolveSize(p.root_size, free) : free;
  if (size > free) {
    errors.push({ field, message: `root_size (${formatSize(size)}) is larger than the ${formatSize(free)} free on ${deviceName(t, rootDev)}.` });
  } else if (size < MIN_ROOT_SIZE) {
    errors.push({
      field,
      message: p.root_size
        ? `root_size must be at least ${formatSize(MIN_ROOT_SIZE)}, not ${formatSize(size)}.`
        : `${deviceName(t, rootDev)} has ${formatSize(free)} left for the root partition; it needs at least ${formatSize(MIN_ROOT_SIZE)}.`,
    });
  }
  if (errors.length) return { errors };
  return { errors, root: addPartition(d, rootDev.id, { size }) };
}

/** The ext4 root filesystem every layout ends with. */
export function addRootFilesystem(d: Draft, on: { kind: 'block' | 'partition'; id: number }): void {
  addFilesystem(d, on, { fstype: 'ext4', label: 'root', mount_point: '/' });
}
