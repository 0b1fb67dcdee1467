/** Storage documents the tests share. */
import type { StorageDocument } from '../../src/domain/storage/document-types.ts';

/**
 * The "blank + custom" golden layout: /boot and the ESP or bios partition on sda, a RAID-1 from a
 * partition of each disk carrying LVM (root and /home), XFS /srv, swap and a tmpfs /tmp. BIOS
 * uses an MBR table on sda to cover that path too.
 */
export function customDocument(firmware: 'bios' | 'uefi'): StorageDocument {
  const firmwarePart = firmware === 'uefi'
    ? [{ size: '512M', filesystem: { fstype: 'fat32' as const, label: 'efi', mount_point: '/boot/efi' } }]
    : [];
  return {
    boot_disk: 'sda',
    disks: [
      {
        disk: 'sda', ptable: firmware === 'uefi' ? 'gpt' : 'mbr',
        partitions: [
          ...firmwarePart,
          { size: '1G', bootable: firmware === 'bios', filesystem: { fstype: 'ext4', label: 'boot', mount_point: '/boot' } },
          { size: '20G' },
          { filesystem: { fstype: 'xfs', label: 'srv', mount_point: '/srv', mount_options: 'noatime' } },
        ],
      },
      { disk: 2, ptable: 'gpt', partitions: [{ size: '12G' }, { filesystem: { fstype: 'swap', label: 'swap' } }] },
    ],
    raids: [{ name: 'md0', level: 'raid-1', devices: [firmware === 'uefi' ? 'sda-part3' : 'sda-part2', 'sdb-part1'] }],
    volume_groups: [{
      name: 'vg0', devices: ['md0'],
      logical_volumes: [
        { name: 'root', size: '8G', filesystem: { fstype: 'ext4', label: 'root', mount_point: '/' } },
        { name: 'home', filesystem: { fstype: 'btrfs', label: 'home', mount_point: '/home' } },
      ],
    }],
    special_filesystems: [{ fstype: 'tmpfs', mount_point: '/tmp', mount_options: 'size=2G,mode=1777' }],
  };
}
