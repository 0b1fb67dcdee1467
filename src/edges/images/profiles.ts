/**
 * What each image kind is made of. Package lists are inputs of the cache key, so changing one here
 * rebuilds that image (and only that one).
 */
export type ImageKind = 'ephemeral' | 'debian';
export const IMAGE_KINDS: ImageKind[] = ['ephemeral', 'debian'];

/** Bumped when the builder changes what it produces for the same inputs. */
export const BUILDER_VERSION = '1';

/**
 * The ephemeral environment: commissioning/testing/deploy tools plus what the boot needs (systemd,
 * networkd, cloud-init). busybox-static is taken from this root into the initramfs, so the initrd
 * comes from the same archive as the kernel.
 */
const EPHEMERAL = [
  'systemd', 'systemd-sysv', 'udev', 'dbus', 'kmod', 'iproute2', 'ca-certificates', 'netbase',
  'cloud-init', 'python3-yaml', 'python3-oauthlib',
  'lshw', 'lldpd', 'dmidecode', 'smartmontools', 'nvme-cli', 'fio', 'stress-ng',
  'parted', 'gdisk', 'lvm2', 'mdadm', 'bcache-tools', 'e2fsprogs', 'xfsprogs', 'dosfstools',
  'ipmitool', 'curl', 'openssh-server', 'nodejs', 'linux-image-amd64', 'busybox-static',
  // wipe-disks' secure erase of ATA drives (NVMe's is nvme-cli's).
  'hdparm',
  // Rescue mode and ephemeral deploys hand the machine to its user over SSH as cloud-init's default
  // user, whose sudoers rule needs sudo itself: without it the rescuer cannot become root.
  'sudo',
  // cloud-init's ntp module (the region's ntp_servers in vendor-data) needs a client to configure.
  'systemd-timesyncd',
];

/**
 * A deployable Debian: a kernel, both GRUB flavours' files, cloud-init, ifupdown networking. cloud-init's
 * locale module runs locale-gen (package locales) and its ntp module configures the region's NTP servers
 * from vendor-data (systemd-timesyncd); without them the installed system's first boot reports a failed
 * modules-config stage.
 */
const DEBIAN = [
  'systemd', 'systemd-sysv', 'udev', 'dbus', 'kmod', 'iproute2', 'ca-certificates', 'netbase',
  'linux-image-amd64', 'initramfs-tools', 'grub-pc-bin', 'grub-efi-amd64-bin', 'grub2-common',
  'cloud-init', 'openssh-server', 'sudo', 'ifupdown', 'isc-dhcp-client', 'e2fsprogs',
  'locales', 'systemd-timesyncd',
];

export function packagesOf(kind: ImageKind): string[] {
  return [...(kind === 'ephemeral' ? EPHEMERAL : DEBIAN)].sort();
}

/** Kernel modules the initramfs carries: enough to reach the network and mount the root. */
export const INITRD_MODULES = [
  'virtio_pci', 'virtio_net', 'virtio_blk', 'virtio_scsi', 'e1000', 'e1000e', 'igb', 'ixgbe', 'tg3',
  'af_packet', 'squashfs', 'overlay', 'loop',
];

/** Keep images lean: dpkg never unpacks docs, man pages or translations (copyright files stay). */
export const DPKG_EXCLUDES = [
  'path-exclude=/usr/share/man/*',
  'path-exclude=/usr/share/info/*',
  'path-exclude=/usr/share/doc/*',
  'path-include=/usr/share/doc/*/copyright',
  'path-exclude=/usr/share/locale/*',
  'path-include=/usr/share/locale/locale.alias',
  'path-exclude=/usr/share/lintian/*',
];

/** Outputs per kind, as named in the build directory. */
export const OUTPUTS: Record<ImageKind, string[]> = {
  ephemeral: ['vmlinuz', 'initrd', 'squashfs'],
  debian: ['root.tgz'],
};
