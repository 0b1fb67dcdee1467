/**
 * Boot purpose "xinstall". Deploying (MAAS's purpose name "xinstall"): the ephemeral environment partitions the disks,
 * writes the OS image, installs a bootloader and reboots into the deployed system.
 */
import { grubEphemeral } from '../loaders/grub.ts';
import { ipxeEphemeral } from '../loaders/ipxe.ts';
import { pxelinuxEphemeral } from '../loaders/pxelinux.ts';
import type { EphemeralDecision } from '../types.ts';
import type { PurposeTemplate } from './template.ts';

const DOING = 'deploying';

export const xinstall: PurposeTemplate<EphemeralDecision> = {
  ipxe: (d) => ipxeEphemeral(d, DOING),
  grub: (d) => grubEphemeral(d, DOING),
  pxelinux: (d) => pxelinuxEphemeral(d, DOING),
};
