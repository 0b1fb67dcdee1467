/**
 * iPXE scripts (https://ipxe.org/scripting). A script starts with the `#!ipxe` signature; `${…}`
 * is expanded by iPXE at run time (`${mac:hexhyp}` is the booting NIC's MAC with hyphens,
 * `${platform}` is `pcbios` or `efi`).
 */
import { imageUrl, kernelCommandLine } from '../cmdline.ts';
import { hostPort } from '../validate.ts';
import type { BootServer, EphemeralDecision } from '../types.ts';
import { basename, lines, machineLabel } from './common.ts';

export const IPXE_SIGNATURE = '#!ipxe';

/**
 * The pre-loader `ipxe.cfg` that DHCP hands to iPXE: chain to this machine's own script by MAC,
 * and if there is none (a 404 makes `chain` fail), to the default script for amd64. The
 * `platform` query tells the rack whether the machine runs BIOS or UEFI firmware.
 */
export function ipxePreloader(server: BootServer): string {
  const base = `http://${hostPort(server)}`;
  return lines(
    IPXE_SIGNATURE,
    '# Plinth: this machine\'s boot script by MAC address, else the default one.',
    `chain ${base}/ipxe.cfg-\${mac}?platform=\${platform} || chain ${base}/ipxe.cfg-default-amd64?platform=\${platform}`,
  );
}

/**
 * Boots the ephemeral environment: fetch the kernel (with its command line) and the initrd over
 * HTTP, then boot. `initrd=<name>` lets the kernel's EFI stub find the initrd iPXE registered.
 */
export function ipxeEphemeral(d: EphemeralDecision, doing: string): string {
  const { kernel, extra } = kernelCommandLine(d);
  const args = [`initrd=${basename(d.image.initrd)}`, ...kernel, 'BOOTIF=01-${mac:hexhyp}', ...(extra.length > 0 ? ['---', ...extra] : [])];
  return lines(
    IPXE_SIGNATURE,
    `# Plinth boot configuration: ${d.purpose}`,
    `echo Plinth: ${doing} ${machineLabel(d)}`,
    `kernel ${imageUrl(d, d.image.kernel)} ${args.join(' ')}`,
    `initrd ${imageUrl(d, d.image.initrd)}`,
    'boot',
  );
}
