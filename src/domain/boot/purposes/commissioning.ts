/**
 * Boot purpose "commissioning". Commissioning (and testing, disk erasing): the ephemeral environment runs the commissioning
 * scripts and reports their results.
 */
import { grubEphemeral } from '../loaders/grub.ts';
import { ipxeEphemeral } from '../loaders/ipxe.ts';
import { pxelinuxEphemeral } from '../loaders/pxelinux.ts';
import type { EphemeralDecision } from '../types.ts';
import type { PurposeTemplate } from './template.ts';

const DOING = 'commissioning';

export const commissioning: PurposeTemplate<EphemeralDecision> = {
  ipxe: (d) => ipxeEphemeral(d, DOING),
  grub: (d) => grubEphemeral(d, DOING),
  pxelinux: (d) => pxelinuxEphemeral(d, DOING),
};
