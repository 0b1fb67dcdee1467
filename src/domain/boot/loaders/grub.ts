/**
 * GRUB 2 configuration files for network-booted GRUB (UEFI `grubx64.efi`/`grubaa64.efi`). GRUB's
 * script language splits words on whitespace and treats quotes and `$` specially, so kernel options
 * that contain them are single-quoted (GRUB manual §6.3 "Quoting"); `${net_default_mac}` is left
 * unquoted so GRUB expands it.
 */
import { kernelCommandLine } from '../cmdline.ts';
import { hostPort } from '../validate.ts';
import type { EphemeralDecision } from '../types.ts';
import { lines, machineLabel } from './common.ts';

/** Quotes one word for GRUB's parser; words of safe characters stay bare. */
export function grubQuote(word: string): string {
  if (/^[A-Za-z0-9_.,:/=+@%~-]+$/.test(word)) return word;
  return `'${word.replace(/'/g, "'\\''")}'`;
}

export const GRUB_HEADER = ['set default="0"', 'set timeout=0'];

/**
 * The pre-loader `grub/grub.cfg`: load this machine's configuration by MAC, and when that fails
 * (GRUB reports the error and goes on with the next command), the default for its CPU type.
 */
export function grubPreloader(): string {
  return lines(
    '# Plinth: this machine\'s boot configuration by MAC address, else the default one.',
    ...GRUB_HEADER,
    'configfile /grub/grub.cfg-${net_default_mac}',
    'configfile /grub/grub.cfg-default-${grub_cpu}',
  );
}

/** `(http,<host>:<port>)/images/<path>`: GRUB's HTTP device (GRUB manual §13.3 "Network"). */
function grubUrl(d: EphemeralDecision, path: string): string {
  return `(http,${hostPort(d.server)})/images/${path}`;
}

export function grubEphemeral(d: EphemeralDecision, doing: string): string {
  const { kernel, extra } = kernelCommandLine(d);
  const args = [...kernel.map(grubQuote), 'BOOTIF=01-${net_default_mac}', ...(extra.length > 0 ? ['---', ...extra.map(grubQuote)] : [])];
  return lines(
    `# Plinth boot configuration: ${d.purpose}`,
    ...GRUB_HEADER,
    '',
    `menuentry ${grubQuote(`Plinth: ${doing} ${machineLabel(d)}`)} {`,
    `\techo 'Loading the kernel...'`,
    `\tlinux ${grubUrl(d, d.image.kernel)} ${args.join(' ')}`,
    `\techo 'Loading the initrd...'`,
    `\tinitrd ${grubUrl(d, d.image.initrd)}`,
    '}',
  );
}
