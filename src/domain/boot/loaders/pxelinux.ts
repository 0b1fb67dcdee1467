/**
 * PXELINUX configuration files (SYSLINUX "config" documentation). `lpxelinux.0` fetches http://
 * URLs itself. `IPAPPEND 2` appends `BOOTIF=01-<mac>` of the booting NIC to the command line.
 */
import { imageUrl, kernelCommandLineText } from '../cmdline.ts';
import type { EphemeralDecision } from '../types.ts';
import { lines, machineLabel } from './common.ts';

export function pxelinuxEphemeral(d: EphemeralDecision, doing: string): string {
  return lines(
    `# Plinth boot configuration: ${d.purpose}`,
    'DEFAULT execute',
    '',
    'LABEL execute',
    `  SAY Plinth: ${doing} ${machineLabel(d)}`,
    `  KERNEL ${imageUrl(d, d.image.kernel)}`,
    `  INITRD ${imageUrl(d, d.image.initrd)}`,
    `  APPEND ${kernelCommandLineText(d)}`,
    '  IPAPPEND 2',
  );
}
