/**
 * Boot purpose "local": the machine is deployed; boot its installed system from the local disk
 * (lab-notes.md "Booting the local disk after deployment").
 *
 * - iPXE on BIOS: `sanboot --no-describe --drive 0x80` boots the first BIOS disk (0x80) without
 *   describing it in an iBFT/ACPI table.
 * - iPXE on UEFI: `exit 1` — a non-success exit makes the firmware go on to its next boot entry,
 *   the disk (`exit 0` would open the firmware's boot menu instead).
 * - GRUB on UEFI: find the installed system's EFI loader on any disk and chain-load it; on BIOS,
 *   chain-load the first disk's boot sector.
 * - PXELINUX: `LOCALBOOT 0` returns to the BIOS, which boots the next device.
 */
import { GRUB_HEADER } from '../loaders/grub.ts';
import { IPXE_SIGNATURE } from '../loaders/ipxe.ts';
import { lines, machineLabel } from '../loaders/common.ts';
import type { LocalDecision } from '../types.ts';
import type { PurposeTemplate } from './template.ts';

/** UEFI removable-media and distribution loader names, by Debian architecture (UEFI 2.9 §3.5.1.1). */
const EFI_SUFFIX: Record<string, string> = { amd64: 'x64', i386: 'ia32', arm64: 'aa64', armhf: 'arm', riscv64: 'riscv64' };

function efiLoaders(arch: string): string[] {
  const s = EFI_SUFFIX[arch] ?? 'x64';
  return [`/efi/ubuntu/shim${s}.efi`, `/efi/ubuntu/grub${s}.efi`, `/efi/debian/shim${s}.efi`, `/efi/debian/grub${s}.efi`,
    `/efi/redhat/shim${s}.efi`, `/efi/centos/shim${s}.efi`, `/efi/boot/boot${s}.efi`];
}

export const local: PurposeTemplate<LocalDecision> = {
  ipxe: (d) => lines(
    IPXE_SIGNATURE,
    '# Plinth boot configuration: local',
    `echo Plinth: booting ${machineLabel(d)} from its local disk`,
    d.firmware === 'uefi' ? 'exit 1' : 'sanboot --no-describe --drive 0x80',
  ),

  grub: (d) => {
    const body = d.firmware === 'uefi'
      ? [
        `\tfor loader in ${efiLoaders(d.arch).join(' ')}; do`,
        '\t\tif search --no-floppy --set=root --file "$loader"; then',
        '\t\t\tchainloader "$loader"',
        '\t\t\tboot',
        '\t\tfi',
        '\tdone',
        "\techo 'No installed system found on the local disks.'",
        '\texit 1',
      ]
      : ['\tset root=(hd0)', '\tchainloader +1', '\tboot'];
    return lines(
      '# Plinth boot configuration: local',
      ...GRUB_HEADER,
      '',
      `menuentry 'Plinth: local boot' {`,
      `\techo 'Booting the local disk...'`,
      ...body,
      '}',
    );
  },

  pxelinux: (d) => lines(
    '# Plinth boot configuration: local',
    'DEFAULT local',
    '',
    'LABEL local',
    `  SAY Plinth: booting ${machineLabel(d)} from its local disk`,
    '  LOCALBOOT 0',
  ),
};
