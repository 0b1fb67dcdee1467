/**
 * What a network-booting machine should do next — the boot decision — and the requests that lead to
 * it. The region decides (from the machine's status, see maas-api-spec.md §6.2); the rack renders
 * the decision for the bootloader that asked (iPXE, GRUB or PXELINUX).
 */

/** enlist: an unknown MAC; commissioning / rescue / xinstall (deploy): boot the ephemeral
 *  environment; local: boot the installed OS from disk; poweroff: nothing to do, switch off. */
export type BootPurpose = 'enlist' | 'commissioning' | 'xinstall' | 'rescue' | 'local' | 'poweroff';
export const BOOT_PURPOSES: readonly BootPurpose[] = ['enlist', 'commissioning', 'xinstall', 'rescue', 'local', 'poweroff'];

export type Firmware = 'bios' | 'uefi';

/** Bootloaders whose configuration files Plinth renders. */
export type Loader = 'ipxe' | 'grub' | 'pxelinux';
export const LOADERS: readonly Loader[] = ['ipxe', 'grub', 'pxelinux'];

/** Where the rack's HTTP boot server is reached by the machine (MAAS: port 5248). */
export interface BootServer {
  /** IPv4 address or host name (IPv6 literals without brackets are accepted; they are bracketed). */
  host: string;
  port: number;
}

/** The ephemeral environment's files, relative to the server's `images/` directory. */
export interface BootImage {
  kernel: string;
  initrd: string;
  /** Root filesystem image (squashfs), mounted over HTTP: `root=squash:http://…`. */
  squashfs?: string;
}

interface DecisionBase {
  firmware: Firmware;
  /** Debian-style architecture, e.g. amd64, arm64. */
  arch: string;
  /** e.g. generic, hwe-22.04. */
  subarch: string;
  /** The machine's host name (without domain); empty or absent for unknown machines. */
  hostname?: string;
  domain?: string;
}

/** Purposes that boot the ephemeral environment over the network. */
export type EphemeralPurpose = 'enlist' | 'commissioning' | 'xinstall' | 'rescue';
export const EPHEMERAL_PURPOSES: readonly EphemeralPurpose[] = ['enlist', 'commissioning', 'xinstall', 'rescue'];

export interface EphemeralDecision extends DecisionBase {
  purpose: EphemeralPurpose;
  server: BootServer;
  image: BootImage;
  /** cloud-init's seed: `cloud-config-url=<preseedUrl>` (the metadata service). */
  preseedUrl: string;
  /** Remote syslog for the ephemeral environment (MAAS: port 5247). */
  log?: { host: string; port: number };
  /** IPv6 boot: `ip=off ip6=dhcp` instead of `ip=::::<hostname>:BOOTIF ip6=off`. */
  ipv6?: boolean;
  /** Kernel options from the machine's tags and the global kernel_opts, appended after `--`. */
  extraOpts?: string;
}

export interface LocalDecision extends DecisionBase {
  purpose: 'local';
}

export interface PoweroffDecision extends DecisionBase {
  purpose: 'poweroff';
}

export type BootDecision = EphemeralDecision | LocalDecision | PoweroffDecision;

export const isEphemeral = (d: BootDecision): d is EphemeralDecision =>
  (EPHEMERAL_PURPOSES as readonly string[]).includes(d.purpose);

/** A decision that cannot be rendered safely (bad path, control characters, …). */
export class BootConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid boot decision: ${problems.join('; ')}`);
    this.name = 'BootConfigError';
  }
}
