/**
 * What the installer writes into the new system and the bootloader commands it runs, as pure
 * functions (table-tested; install.ts does the I/O): /etc/hosts, the installed system's cloud-init
 * datasource and network config, the kernel command line in /etc/default/grub, and grub-install for
 * BIOS or UEFI.
 */
import type { AgentConfig } from '../config.ts';
import type { AgentInstallPlan } from './install-plan.ts';

/** JSON strings are YAML double-quoted scalars: safe for any URL or key. */
const q = (s: string) => JSON.stringify(s);

export function hostsFile(plan: AgentInstallPlan): string {
  const names = plan.cloud_init.fqdn && plan.cloud_init.fqdn !== plan.hostname ? `${plan.cloud_init.fqdn} ${plan.hostname}` : plan.hostname;
  return [
    '127.0.0.1\tlocalhost', `127.0.1.1\t${names}`, '',
    '# IPv6', '::1\tlocalhost ip6-localhost ip6-loopback', 'ff02::1\tip6-allnodes', 'ff02::2\tip6-allrouters', '',
  ].join('\n');
}

/** The metadata root without the deploy environment's `curtin/` tree: the installed OS reads the plain one. */
export const plainMetadataUrl = (url: string): string => url.replace(/curtin\/?$/, '').replace(/\/?$/, '/');

/**
 * /etc/cloud/cloud.cfg.d/90_plinth_datasource.cfg: the MAAS datasource with this machine's own
 * credentials (so first boot fetches user data from the plain path: the region's "deployed"), and the
 * status webhook for cloud-init's progress.
 */
export function datasourceConfig(plan: AgentInstallPlan, cfg: AgentConfig): string {
  const url = plainMetadataUrl(plan.cloud_init.metadata_url || cfg.metadata_url);
  const creds = [`consumer_key: ${q(cfg.consumer_key)}`, `token_key: ${q(cfg.token_key)}`, `token_secret: ${q(cfg.token_secret)}`];
  const endpoint = new URL(`/MAAS/metadata/status/${plan.system_id}`, url).toString();
  return [
    '# Written by the Plinth installer: where this machine\'s metadata is.',
    'datasource_list: [ MAAS ]',
    'datasource:', '  MAAS:', `    metadata_url: ${q(url)}`, ...creds.map((c) => `    ${c}`),
    'reporting:', '  maas:', '    type: webhook', `    endpoint: ${q(endpoint)}`, ...creds.map((c) => `    ${c}`), '',
  ].join('\n');
}

/** /etc/cloud/cloud.cfg.d/50-plinth-networking.cfg: `network:` holding the plan's netplan v2 document. */
export function networkConfig(netplan: string): string {
  const body = netplan.replace(/^\s*(#[^\n]*\n)*/, '');
  if (/^network:/m.test(body)) return `# Written by the Plinth installer; cloud-init renders it.\n${body.endsWith('\n') ? body : `${body}\n`}`;
  return `# Written by the Plinth installer; cloud-init renders it.\nnetwork:\n${body.split('\n').filter((l) => l !== '').map((l) => `  ${l}`).join('\n')}\n`;
}

/** Kernel options the installed system boots with: the serial console (the lab watches it) and the region's kernel_opts. */
export function kernelOptions(kernelOpts: string): string[] {
  const opts = ['console=tty0', 'console=ttyS0,115200n8'];
  for (const o of kernelOpts.split(/\s+/).filter(Boolean)) if (!opts.includes(o)) opts.push(o);
  return opts;
}

/**
 * /etc/default/grub with every option present in GRUB_CMDLINE_LINUX_DEFAULT (added once, kept in
 * order; other lines untouched). A missing file or line gets one.
 */
export function withKernelOptions(grubDefault: string | null, options: string[]): string {
  const lines = (grubDefault ?? '').split('\n');
  if (lines.at(-1) === '') lines.pop();
  const i = lines.findIndex((l) => /^GRUB_CMDLINE_LINUX_DEFAULT=/.test(l));
  const current = i < 0 ? [] : lines[i].replace(/^GRUB_CMDLINE_LINUX_DEFAULT=/, '').replace(/^(["'])(.*)\1\s*$/, '$2').split(/\s+/).filter(Boolean);
  const merged = [...current, ...options.filter((o) => !current.includes(o))];
  const line = `GRUB_CMDLINE_LINUX_DEFAULT="${merged.join(' ')}"`;
  if (i < 0) lines.push(line); else lines[i] = line;
  return `${lines.join('\n')}\n`;
}

/**
 * /etc/default/grub.d/50-plinth-console.cfg: GRUB's menu on the serial port and the text console.
 * Debian's default graphical terminal (gfxterm) needs a video adapter; on a server without one (or a
 * VM with graphics off) GRUB then shows nothing and never reaches the kernel. Serial also makes the
 * menu reachable over the BMC's serial-over-LAN.
 */
export const GRUB_CONSOLE_DEFAULTS = [
  '# Written by the Plinth installer: the boot menu on the serial port and the text console.',
  'GRUB_TERMINAL="serial console"',
  'GRUB_SERIAL_COMMAND="serial --unit=0 --speed=115200"',
  '',
].join('\n');

export interface BootloaderInput { target: string; uefi: boolean; arch: string; bootDevice: string | null }

const EFI_TARGET: Record<string, string> = { amd64: 'x86_64-efi', arm64: 'arm64-efi', i386: 'i386-efi' };
/** The API filesystems grub-install and update-grub need inside the chroot. */
export const BIND_MOUNTS = ['/dev', '/proc', '/sys', '/run'];

/**
 * The bootloader step as argv lists: bind-mount the API filesystems into the target, grub-install
 * for the firmware (UEFI: the removable path, so no NVRAM entry is needed and the firmware's default
 * finds it; BIOS: the boot disk's MBR/BIOS boot partition), then update-grub, all in the chroot.
 * The caller unmounts the bind mounts with the rest.
 */
export function bootloaderCommands(b: BootloaderInput): string[][] {
  const t = b.target.replace(/\/+$/, '');
  const binds = BIND_MOUNTS.flatMap((m) => [['mkdir', '-p', `${t}${m}`], ['mount', '--bind', m, `${t}${m}`]]);
  let install: string[];
  if (b.uefi) {
    const target = EFI_TARGET[b.arch];
    if (!target) throw new Error(`No UEFI GRUB target for architecture ${b.arch}.`);
    install = ['chroot', t, 'grub-install', `--target=${target}`, '--efi-directory=/boot/efi', '--removable', '--no-nvram'];
  } else {
    if (b.arch !== 'amd64' && b.arch !== 'i386') throw new Error(`No BIOS GRUB target for architecture ${b.arch}.`);
    if (!b.bootDevice) throw new Error('The plan names no boot disk for the BIOS bootloader.');
    install = ['chroot', t, 'grub-install', '--target=i386-pc', b.bootDevice];
  }
  return [...binds, install, ['chroot', t, 'update-grub']];
}
