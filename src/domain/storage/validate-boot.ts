/**
 * Rules for a tree that is about to be deployed: there is a root filesystem and the boot disk can
 * carry the bootloader for the machine's firmware (an ESP on UEFI, bios_grub for BIOS on GPT, a PReP
 * partition on ppc64el), and GRUB can read the filesystem holding the kernel.
 */
import { baseArch, bootDisk, deviceName, filesystemOn, findPartition, members, partitionsOf } from './tree.ts';
import type { BlockDevice, StorageError, StorageRef, StorageTree } from './types.ts';

export function validateBoot(t: StorageTree): StorageError[] {
  const errors: StorageError[] = [];
  const mounted = (mp: string) => t.filesystems.find((f) => f.mount_point === mp && f.fstype !== 'swap');
  const root = mounted('/');
  if (!root) errors.push({ field: 'filesystems', message: 'No filesystem is mounted at /: the machine needs a root filesystem to deploy.' });

  const disk = bootDisk(t);
  if (!disk) {
    errors.push({ field: 'boot_disk', message: 'The machine has no disk to boot from.' });
    return errors;
  }
  const name = deviceName(t, disk);
  const field = 'boot_disk';
  const parts = partitionsOf(t, disk.id);
  const fsOf = (id: number) => filesystemOn(t, { kind: 'partition', id });
  if (disk.partition_table === null) {
    errors.push({ field, message: `Boot disk ${name} has no partition table; the bootloader needs one.` });
  } else if (baseArch(t.architecture) === 'ppc64el') {
    if (!parts.some((p) => p.boot_code === 'prep')) errors.push({ field, message: `Boot disk ${name} has no PReP boot partition, which ppc64el firmware needs.` });
  } else if (t.firmware === 'uefi') {
    if (disk.partition_table !== 'GPT') errors.push({ field, message: `Boot disk ${name} must use GPT on a UEFI machine, not ${disk.partition_table}.` });
    const esp = parts.find((p) => { const f = fsOf(p.id); return f?.mount_point === '/boot/efi' && (f.fstype === 'fat32' || f.fstype === 'vfat'); });
    if (!esp) errors.push({ field, message: `UEFI boot disk ${name} has no EFI system partition: add a fat32 partition mounted at /boot/efi (512 MiB is usual).` });
    else if (!esp.bootable) errors.push({ field, message: `The EFI system partition on ${name} must be marked bootable.` });
  } else if (disk.partition_table === 'GPT' && !parts.some((p) => p.boot_code === 'bios_grub')) {
    errors.push({ field, message: `BIOS boot disk ${name} uses GPT but has no bios_grub partition for GRUB (add a 1 MiB partition flagged bios_grub).` });
  }

  const kernelFs = mounted('/boot') ?? root;
  if (kernelFs?.on && dependsOnBcache(t, kernelFs.on, new Set())) {
    errors.push({ field: 'filesystems', message: `${kernelFs.mount_point} is on a bcache device, which GRUB cannot read; put /boot on a plain partition.` });
  }
  return errors;
}

function dependsOnBcache(t: StorageTree, ref: StorageRef, seen: Set<number>): boolean {
  const id = ref.kind === 'block' ? ref.id : findPartition(t, ref.id)?.device_id;
  const d: BlockDevice | undefined = t.block_devices.find((x) => x.id === id);
  if (!d || seen.has(d.id)) return false;
  seen.add(d.id);
  const s = d.source;
  if (!s) return false;
  if (s.kind === 'bcache') return true;
  const m = s.kind === 'lv' ? members(t, ['lvm-pv'], s.volume_group_id) : members(t, ['raid', 'raid-spare'], s.raid_id);
  return m.some((f) => dependsOnBcache(t, f.on!, seen));
}
