/**
 * Boot purpose "enlist". An unknown machine (its MAC matched nothing): the ephemeral environment asks the metadata
 * service to enlist it, reports its hardware and powers off.
 */
import { grubEphemeral } from '../loaders/grub.ts';
import { ipxeEphemeral } from '../loaders/ipxe.ts';
import { pxelinuxEphemeral } from '../loaders/pxelinux.ts';
import type { EphemeralDecision } from '../types.ts';
import type { PurposeTemplate } from './template.ts';

const DOING = 'enlisting';

export const enlist: PurposeTemplate<EphemeralDecision> = {
  ipxe: (d) => ipxeEphemeral(d, DOING),
  grub: (d) => grubEphemeral(d, DOING),
  pxelinux: (d) => pxelinuxEphemeral(d, DOING),
};
