/**
 * Boot purpose "poweroff": the machine has nothing to do (Ready, Allocated, …) and was switched on
 * anyway; switch it off again.
 *
 * - iPXE: `poweroff` (present when iPXE is built with POWEROFF_CMD); builds without it fall through
 *   to a loop that holds the machine at the iPXE prompt instead of booting something stale from
 *   disk.
 * - GRUB: `halt` (ACPI power-off on UEFI).
 * - PXELINUX: SYSLINUX's `poweroff.c32` COM32 module.
 */
import { GRUB_HEADER } from '../loaders/grub.ts';
import { IPXE_SIGNATURE } from '../loaders/ipxe.ts';
import { lines, machineLabel } from '../loaders/common.ts';
import type { PoweroffDecision } from '../types.ts';
import type { PurposeTemplate } from './template.ts';

export const poweroff: PurposeTemplate<PoweroffDecision> = {
  ipxe: (d) => lines(
    IPXE_SIGNATURE,
    '# Plinth boot configuration: poweroff',
    `echo Plinth: ${machineLabel(d)} has nothing to boot, powering off`,
    'poweroff || goto hold',
    ':hold',
    'echo Plinth: this iPXE cannot power off, holding here',
    'sleep 3600',
    'goto hold',
  ),

  grub: (d) => lines(
    '# Plinth boot configuration: poweroff',
    ...GRUB_HEADER,
    '',
    `menuentry 'Plinth: power off' {`,
    `\techo 'Plinth: ${machineLabel(d)} has nothing to boot, powering off'`,
    '\thalt',
    '}',
  ),

  pxelinux: (d) => lines(
    '# Plinth boot configuration: poweroff',
    'DEFAULT poweroff',
    '',
    'LABEL poweroff',
    `  SAY Plinth: ${machineLabel(d)} has nothing to boot, powering off`,
    '  COM32 poweroff.c32',
  ),
};
