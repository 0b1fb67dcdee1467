/**
 * The ephemeral environment's kernel command line (maas-api-spec.md §6.2), as tokens, so each
 * bootloader can quote them its own way. The kernel part ends before `---`; `extra` (options from
 * tags and the global kernel_opts) follows the `---` separator (curtin's and Debian's marker for
 * options to keep on the installed system). Not `--`: the kernel hands everything after `--` to init,
 * so `console=` and other kernel options there would be ignored.
 *
 *   nomodeset ro root=squash:http://<server>/images/<squashfs> ip=::::<hostname>:BOOTIF ip6=off
 *   overlayroot=tmpfs overlayroot_cfgdisk=disabled cc:{'datasource_list': ['MAAS']}end_cc
 *   cloud-config-url=<preseed> log_host=<host> log_port=<port> [--- <extra>]
 *
 * `cc:…end_cc` is cloud-init's kernel-command-line cloud-config: it pins the MAAS datasource so the
 * ephemeral environment does not probe for others. `ip=::::<hostname>:BOOTIF` is the kernel's
 * nfsroot-style `ip=` (client:server:gateway:netmask:hostname:device): DHCP on the interface that
 * booted (initramfs-tools resolves BOOTIF from the `BOOTIF=01-<mac>` the bootloader appends).
 */
import { hostPort } from './validate.ts';
import type { EphemeralDecision } from './types.ts';

export interface KernelCommandLine {
  /** Options for the kernel and the initramfs. */
  kernel: string[];
  /** Options after `--` (may be empty). */
  extra: string[];
}

/** `http://<host>:<port>/images/<path>` for a file of the image store. */
export function imageUrl(d: Pick<EphemeralDecision, 'server'>, path: string): string {
  return `http://${hostPort(d.server)}/images/${path}`;
}

/**
 * Splits options the way the kernel does (parse_args): on whitespace, except inside double quotes,
 * so `opt="a b"` stays one token.
 */
export function splitOptions(opts: string): string[] {
  return opts.match(/(?:[^\s"]+|"[^"]*")+/g) ?? [];
}

export function kernelCommandLine(d: EphemeralDecision): KernelCommandLine {
  const kernel = ['nomodeset', 'ro'];
  if (d.image.squashfs) kernel.push(`root=squash:${imageUrl(d, d.image.squashfs)}`);
  if (d.ipv6) kernel.push('ip=off', 'ip6=dhcp');
  else kernel.push(`ip=::::${d.hostname ?? ''}:BOOTIF`, 'ip6=off');
  kernel.push('overlayroot=tmpfs', 'overlayroot_cfgdisk=disabled');
  kernel.push("cc:{'datasource_list':", "['MAAS']}end_cc");
  kernel.push(`cloud-config-url=${d.preseedUrl}`);
  if (d.log) kernel.push(`log_host=${d.log.host}`, `log_port=${d.log.port}`);
  return { kernel, extra: splitOptions(d.extraOpts ?? '') };
}

/** The whole command line as one string (without the bootloader's BOOTIF). */
export function kernelCommandLineText(d: EphemeralDecision): string {
  const { kernel, extra } = kernelCommandLine(d);
  return [...kernel, ...(extra.length > 0 ? ['---', ...extra] : [])].join(' ');
}
