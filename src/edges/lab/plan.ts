/**
 * From options to a plan: validated settings, the lab's name, the address plan and one MachineSpec
 * per VM. Deterministic (names, MACs, UUIDs and the ULA derive from the lab's name) and free of I/O
 * apart from hashing, so it is tested on its own.
 */
import { createHash } from 'node:crypto';
import { existsSync, realpathSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { checkUla, formatCidr, hostAddress, hostCount, overlaps, parseCidr, ulaPrefix, type Ipv4Net } from './cidr.ts';
import { LabError } from './errors.ts';
import type { Accel, Firmware, LabUpOptions, MachineSpec, NetworkPlan } from './types.ts';

export const DEFAULTS = {
  provisioningCidr: '10.213.0.0/24',
  bmcCidr: '10.214.0.0/24',
  bmcUser: 'admin',
  bmcPassword: 'password',
  // Plinth's ephemeral environment copies its ~220 MiB squashfs root into RAM: with 256 MiB the
  // guest kernel panics ("System is deadlocked on memory") before it can enlist.
  memoryMiB: 1536,
  diskSizeMiB: 8192,
} as const;

/** BMC n (1-based) gets host address BMC_HOST_OFFSET + n of the BMC network; .1 is the rack's. */
export const BMC_HOST_OFFSET = 10;
/** ipmi_sim's VM-codec listener of machine n (1-based) in the BMC namespace: 127.0.0.1:(base + n). */
export const IPMI_SERIAL_PORT_BASE = 9100;
export const UEFI_MIN_MIB = 192;
export const OVMF_CODE = '/usr/share/OVMF/OVMF_CODE_4M.fd';
export const OVMF_VARS = '/usr/share/OVMF/OVMF_VARS_4M.fd';
/** Linux's limit for a Unix socket path (sun_path is 108 bytes including the NUL). */
const SOCKET_PATH_MAX = 107;

const nsName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$/, 'a namespace name of letters, digits, _ . - (max 40)');
const credential = z.string().regex(/^[A-Za-z0-9_.@+-]{1,16}$/, '1–16 of letters, digits, _ . @ + -');

const schema = z
  .object({
    stateDir: z.string().min(1),
    machines: z.int().min(1).max(200).default(1),
    firmware: z.enum(['bios', 'uefi', 'mixed']).default('bios'),
    disks: z.int().min(0).max(8).default(1),
    diskSizeMiB: z.int().min(16).max(4 * 1024 * 1024).default(DEFAULTS.diskSizeMiB),
    nics: z.int().min(1).max(8).default(1),
    memoryMiB: z.int().min(64).max(64 * 1024).default(DEFAULTS.memoryMiB),
    cpus: z.int().min(1).max(16).default(1),
    rackNamespace: nsName.optional(),
    network: z
      .object({
        provisioningCidr: z.string().default(DEFAULTS.provisioningCidr),
        bmcCidr: z.string().default(DEFAULTS.bmcCidr),
        vlan: z.object({ id: z.int().min(2).max(4094), cidr: z.string() }).strict().optional(),
        ula: z.string().optional(),
      })
      .strict()
      .default({ provisioningCidr: DEFAULTS.provisioningCidr, bmcCidr: DEFAULTS.bmcCidr }),
    bmc: z
      .object({ user: credential.default(DEFAULTS.bmcUser), password: credential.default(DEFAULTS.bmcPassword) })
      .strict()
      .default({ user: DEFAULTS.bmcUser, password: DEFAULTS.bmcPassword }),
    accel: z.enum(['auto', 'kvm', 'tcg']).default('auto'),
    accelCacheFile: z.string().optional(),
    name: z.string().regex(/^[a-z0-9]{2,8}$/, '2–8 of [a-z0-9]').optional(),
  })
  .strict();

export type Settings = z.output<typeof schema>;

export function parseOptions(opts: LabUpOptions): Settings {
  const r = schema.safeParse(opts);
  if (!r.success) {
    const lines = r.error.issues.map((i) => `${i.path.join('.') || 'options'}: ${i.message}`);
    throw new LabError('bad_option', `Invalid lab options: ${lines.join('; ')}`);
  }
  const s = r.data;
  if (s.firmware !== 'bios' && s.memoryMiB < UEFI_MIN_MIB) {
    throw new LabError('bad_option', `memoryMiB: UEFI machines need at least ${UEFI_MIN_MIB} MiB (OVMF crashes below that); got ${s.memoryMiB}.`);
  }
  return s;
}

function hash(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** Absolute, symlink-free form of a state directory (as far as it exists). */
export function canonicalDir(dir: string): string {
  const abs = resolve(dir);
  return existsSync(abs) ? realpathSync(abs) : abs;
}

/** The default lab name: "pl" + 6 hex digits of the state directory's absolute path. */
export function labNameFor(stateDir: string): string {
  return `pl${hash(canonicalDir(stateDir)).slice(0, 6)}`;
}

export const namespacesOf = (name: string) => ({ provisioning: `${name}-prov`, bmc: `${name}-bmc` });

export function planNetwork(s: Settings, name: string): NetworkPlan {
  const prov = parseCidr(s.network.provisioningCidr, 'network.provisioningCidr');
  const bmc = parseCidr(s.network.bmcCidr, 'network.bmcCidr');
  const vlan = s.network.vlan ? parseCidr(s.network.vlan.cidr, 'network.vlan.cidr') : null;
  const nets: Array<[string, Ipv4Net]> = [['provisioningCidr', prov], ['bmcCidr', bmc]];
  if (vlan) nets.push(['vlan.cidr', vlan]);
  for (let i = 0; i < nets.length; i++) {
    for (let j = i + 1; j < nets.length; j++) {
      if (overlaps(nets[i][1], nets[j][1])) {
        throw new LabError('bad_option', `network.${nets[i][0]} (${formatCidr(nets[i][1])}) overlaps network.${nets[j][0]} (${formatCidr(nets[j][1])}).`);
      }
    }
  }
  if (hostCount(prov) < 2 || (vlan && hostCount(vlan) < 2)) {
    throw new LabError('bad_option', 'Provisioning networks need room for the rack and machines (a prefix of /30 or shorter).');
  }
  if (hostCount(bmc) < BMC_HOST_OFFSET + s.machines) {
    throw new LabError('bad_option', `network.bmcCidr ${formatCidr(bmc)} is too small for ${s.machines} BMCs (they start at host ${BMC_HOST_OFFSET + 1}).`);
  }
  const h = hash(`ula:${name}`);
  const ula = s.network.ula ? checkUla(s.network.ula) : ulaPrefix(h.slice(0, 10), 0);
  const vlanUla = ula.replace(/:[0-9a-f]*::\/64$/, (m) => `:${((parseInt(m.slice(1), 16) + 1) & 0xffff).toString(16)}::/64`);
  return {
    provisioning: { cidr: formatCidr(prov), rackAddress: hostAddress(prov, 1), prefix: prov.prefix },
    bmc: { cidr: formatCidr(bmc), rackAddress: hostAddress(bmc, 1), prefix: bmc.prefix },
    vlan: vlan && s.network.vlan
      ? { id: s.network.vlan.id, cidr: formatCidr(vlan), rackAddress: hostAddress(vlan, 1), prefix: vlan.prefix, ula: vlanUla }
      : null,
    ula,
    rackLinks: { provisioning: `${name}-rp`, bmc: `${name}-rb`, vlan: vlan && s.network.vlan ? `${name}-v${s.network.vlan.id}` : null },
  };
}

function hex2(n: number): string {
  return n.toString(16).padStart(2, '0');
}

function uuidFrom(text: string): string {
  const h = hash(text);
  // RFC 9562 §5.8 layout (version 8, "custom") filled from a hash: stable per lab and machine.
  const variant = ((parseInt(h[16], 16) & 0x3) | 0x8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-8${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export function firmwareOf(choice: Settings['firmware'], index: number): Firmware {
  if (choice === 'mixed') return index % 2 === 0 ? 'bios' : 'uefi';
  return choice;
}

/** Machine n (1-based) of the lab. */
export function planMachine(s: Settings, name: string, stateDir: string, net: NetworkPlan, n: number, accel: Accel): MachineSpec {
  const vmName = `vm${String(n).padStart(2, '0')}`;
  const dir = join(stateDir, 'vms', vmName);
  const firmware = firmwareOf(s.firmware, n - 1);
  const macByte = hash(`mac:${name}`).slice(0, 2);
  const bmcNet = parseCidr(net.bmc.cidr, 'network.bmcCidr');
  const ns = namespacesOf(name);
  const spec: MachineSpec = {
    lab: name,
    name: vmName,
    index: n,
    firmware,
    memoryMiB: s.memoryMiB,
    cpus: s.cpus,
    accel,
    uuid: uuidFrom(`uuid:${name}:${vmName}`),
    dir,
    disks: Array.from({ length: s.disks }, (_, d) => ({ id: `disk${d}`, path: join(dir, `disk${d}.qcow2`), sizeMiB: s.diskSizeMiB })),
    nics: Array.from({ length: s.nics }, (_, k) => ({
      id: `net${k}`,
      // 52:… has the locally-administered bit set (IEEE 802 §8.2.2), so it never clashes with real NICs.
      mac: `52:54:${macByte}:${hex2((n >> 8) & 255)}:${hex2(n & 255)}:${hex2(k)}`,
      tap: `${vmName}n${k}`,
      vlan: k > 0 && net.vlan ? net.vlan.id : null,
    })),
    bmc: {
      address: hostAddress(bmcNet, BMC_HOST_OFFSET + n),
      user: s.bmc.user,
      password: s.bmc.password,
      serialPort: IPMI_SERIAL_PORT_BASE + n,
    },
    namespaces: ns,
    bridge: 'br0',
    uefi: firmware === 'uefi' ? { code: OVMF_CODE, vars: join(dir, 'OVMF_VARS.fd') } : null,
  };
  const qmp = join(dir, 'qmp.sock');
  if (qmp.length > SOCKET_PATH_MAX) {
    throw new LabError('bad_option', `stateDir is too long: the QMP socket path ${qmp} exceeds the ${SOCKET_PATH_MAX}-byte Unix socket limit.`);
  }
  return spec;
}

/** Paths go into ipmi_sim's config and a shell command line: keep them free of quoting trouble. */
export function checkShellSafe(path: string, what: string): void {
  if (!/^[A-Za-z0-9_./:+@=-]+$/.test(path)) {
    throw new LabError('bad_option', `${what} "${path}" contains spaces or shell-special characters; use a plain path.`);
  }
}
