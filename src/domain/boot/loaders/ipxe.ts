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
 * The pre-loader `ipxe.cfg` that DHCP hands to iPXE: fetch this machine's own script by MAC and run
 * it; only if there is none (a 404 makes `imgfetch` fail) run the default script for amd64 (an
 * unknown machine enlists). Fetching and running are separate steps on purpose: with
 * `chain <mac script> || chain <default>`, a machine script that ends without booting — a deployed
 * machine's local boot on UEFI ends with `exit 1` so the firmware goes on to its disk — would fall
 * through to the default script, and a deployed machine would boot the enlistment environment. Here
 * it falls to `exit 1`: back to the firmware's next boot entry. The `platform` query tells the rack
 * whether the machine runs BIOS or UEFI firmware.
 */
export function ipxePreloader(server: BootServer): string {
  const base = `http://${hostPort(server)}`;
  return lines(
    IPXE_SIGNATURE,
    '# Plinth: this machine\'s boot script by MAC address, else the default one.',
    `imgfetch --name machine ${base}/ipxe.cfg-\${mac}?platform=\${platform} || goto default`,
    'imgexec machine',
    'exit 1',
    ':default',
    `chain ${base}/ipxe.cfg-default-amd64?platform=\${platform}`,
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
