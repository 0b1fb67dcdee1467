/** A boot purpose's template: one renderer per bootloader. One file per purpose implements it. */
import type { BootDecision } from '../types.ts';

export interface PurposeTemplate<D extends BootDecision> {
  ipxe(d: D): string;
  grub(d: D): string;
  pxelinux(d: D): string;
}
