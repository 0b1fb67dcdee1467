/**
 * What the lab needs from the host, checked before anything is created, with messages that say
 * exactly what to do: run as root; `apt-get install -y …` for missing Debian packages; load `tun`.
 */
import { accessSync, constants, existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { LabError } from './errors.ts';

/** A Debian package and a file or program that shows it is installed. */
export interface Requirement {
  pkg: string;
  program?: string;
  file?: string;
  why: string;
}

export const REQUIRED: Requirement[] = [
  { pkg: 'iproute2', program: 'ip', why: 'namespaces, bridges, veth pairs' },
  { pkg: 'iproute2', program: 'bridge', why: 'VLAN membership of bridge ports' },
  { pkg: 'iproute2', program: 'ss', why: 'waiting for BMC sockets' },
  { pkg: 'procps', program: 'sysctl', why: 'per-namespace IPv6 settings' },
  { pkg: 'qemu-system-x86', program: 'qemu-system-x86_64', why: 'the virtual machines' },
  { pkg: 'qemu-utils', program: 'qemu-img', why: 'virtual disks' },
  { pkg: 'ipxe-qemu', file: '/usr/lib/ipxe/qemu/efi-virtio.rom', why: 'iPXE option ROM of the virtio NICs' },
  { pkg: 'ipxe', file: '/usr/lib/ipxe/undionly.kpxe', why: 'iPXE images the rack chain-loads for plain PXE clients' },
  { pkg: 'ovmf', file: '/usr/share/OVMF/OVMF_CODE_4M.fd', why: 'UEFI firmware' },
  { pkg: 'openipmi', program: 'ipmi_sim', why: 'the emulated BMCs' },
  { pkg: 'ipmitool', program: 'ipmitool', why: 'IPMI client' },
  { pkg: 'freeipmi-tools', program: 'ipmipower', why: 'IPMI client (FreeIPMI)' },
];

/** Optional: without it iPXE waits about 13 s for an IPv6 router advertisement on every boot. */
export const RADVD: Requirement = { pkg: 'radvd', program: 'radvd', why: 'IPv6 router advertisements' };

const SYSTEM_DIRS = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];

export function findProgram(name: string): string | null {
  const dirs = [...(process.env.PATH ?? '').split(delimiter).filter(Boolean), ...SYSTEM_DIRS];
  for (const dir of dirs) {
    const path = join(dir, name);
    try {
      accessSync(path, constants.X_OK);
      return path;
    } catch {
      // not here
    }
  }
  return null;
}

export function present(r: Requirement): boolean {
  if (r.program) return findProgram(r.program) !== null;
  return r.file ? existsSync(r.file) : true;
}

export function aptLine(pkgs: string[]): string {
  return `apt-get install -y ${[...new Set(pkgs)].join(' ')}`;
}

/** Packages of `reqs` that are missing (deduplicated, in list order). */
export function missingPackages(reqs: Requirement[] = REQUIRED): string[] {
  return [...new Set(reqs.filter((r) => !present(r)).map((r) => r.pkg))];
}

export interface PrereqReport {
  warnings: string[];
}

/** Throws a LabError naming the first thing to fix; returns warnings for what merely slows the lab. */
export function checkPrerequisites(): PrereqReport {
  if (typeof process.getuid === 'function' && process.getuid() !== 0) {
    throw new LabError(
      'not_root',
      'The lab creates network namespaces, bridges and tap devices, which needs root (CAP_NET_ADMIN). ' +
        'Run it as root, e.g. `sudo plinth lab up …`.',
    );
  }
  const missing = missingPackages();
  if (missing.length > 0) {
    const what = REQUIRED.filter((r) => missing.includes(r.pkg)).map((r) => `${r.pkg} (${r.why})`);
    throw new LabError('missing_packages', `Missing Debian packages: ${[...new Set(what)].join(', ')}. Install them with: ${aptLine(missing)}`);
  }
  if (!existsSync('/dev/net/tun')) {
    throw new LabError('command_failed', 'The kernel offers no TUN/TAP device (/dev/net/tun); load it with `modprobe tun`.');
  }
  const warnings: string[] = [];
  if (!present(RADVD)) {
    warnings.push(
      `radvd is not installed: without IPv6 router advertisements iPXE waits about 13 s on every network boot. Install it with: ${aptLine([RADVD.pkg])}`,
    );
  }
  return { warnings };
}
