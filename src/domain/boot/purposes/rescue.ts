/**
 * Boot purpose "rescue". Rescue mode: the ephemeral environment boots and waits for an operator (SSH) instead of running
 * scripts; the metadata service tells it which.
 */
import { grubEphemeral } from '../loaders/grub.ts';
import { ipxeEphemeral } from '../loaders/ipxe.ts';
import { pxelinuxEphemeral } from '../loaders/pxelinux.ts';
import type { EphemeralDecision } from '../types.ts';
import type { PurposeTemplate } from './template.ts';

const DOING = 'rescue mode for';

export const rescue: PurposeTemplate<EphemeralDecision> = {
  ipxe: (d) => ipxeEphemeral(d, DOING),
  grub: (d) => grubEphemeral(d, DOING),
  pxelinux: (d) => pxelinuxEphemeral(d, DOING),
};
