/** Shapes shared by the lab's modules: options in, state on disk, status out. */

export type Firmware = 'bios' | 'uefi';
export type FirmwareChoice = Firmware | 'mixed';
export type Accel = 'kvm' | 'tcg';

/** IPMI boot devices as OpenIPMI's ipmi_sim names them (boot flags device selector, IPMI 2.0 §28.13). */
export const BOOT_DEVICES = ['none', 'pxe', 'default', 'cdrom', 'bios'] as const;
export type BootDevice = (typeof BOOT_DEVICES)[number];

export interface LabUpOptions {
  /** Directory for the state file, disks, logs and sockets (created if missing). */
  stateDir: string;
  /** Number of virtual machines (default 1). */
  machines?: number;
  /** bios, uefi, or mixed (even-numbered machines BIOS, odd ones UEFI). Default bios. */
  firmware?: FirmwareChoice;
  /** Virtual disks per machine (default 1) and their size (default 8192 MiB, thin qcow2). */
  disks?: number;
  diskSizeMiB?: number;
  /** NICs per machine (default 1). With a VLAN, every NIC after the first sits on the VLAN. */
  nics?: number;
  /** RAM per machine in MiB (default 256; UEFI needs at least 192). */
  memoryMiB?: number;
  cpus?: number;
  /**
   * Where the rack's ends of the lab's links go: a network namespace name (created, and later
   * removed, by the lab if it does not exist yet) or undefined for the caller's own namespace.
   */
  rackNamespace?: string;
  network?: {
    /** Default 10.213.0.0/24; the rack end gets the first host address. */
    provisioningCidr?: string;
    /** Default 10.214.0.0/24; the rack end gets the first host, BMC n gets host 10 + n. */
    bmcCidr?: string;
    /** An optional second, 802.1Q-tagged provisioning VLAN. */
    vlan?: { id: number; cidr: string };
    /** IPv6 /64 ULA for the provisioning bridge (default derived from the lab's name). */
    ula?: string;
  };
  /** IPMI LAN credentials of every BMC (default admin / password). */
  bmc?: { user?: string; password?: string };
  /** auto (default): KVM only if a trial boot shows it is faster than software emulation. */
  accel?: 'auto' | Accel;
  /** Where the auto verdict is cached (default /run/plinth-lab/accel.json). */
  accelCacheFile?: string;
  /** Lab name: 2–8 of [a-z0-9], the prefix of every namespace and link (default from stateDir). */
  name?: string;
}

export interface NicSpec {
  /** QEMU device id (net0, net1, …). */
  id: string;
  mac: string;
  /** Tap device name; created by QEMU, then moved onto the provisioning bridge. */
  tap: string;
  /** 802.1Q VLAN id the NIC's bridge port is an untagged member of, or null for the native network. */
  vlan: number | null;
}

export interface DiskSpec {
  /** QEMU device id (disk0, disk1, …). */
  id: string;
  path: string;
  sizeMiB: number;
}

/** Everything needed to run one VM; written to `vms/<name>/machine.json` for the chassis program. */
export interface MachineSpec {
  lab: string;
  name: string;
  index: number;
  firmware: Firmware;
  memoryMiB: number;
  cpus: number;
  accel: Accel;
  uuid: string;
  dir: string;
  disks: DiskSpec[];
  nics: NicSpec[];
  bmc: { address: string; user: string; password: string; serialPort: number };
  namespaces: { provisioning: string; bmc: string };
  bridge: string;
  uefi: { code: string; vars: string } | null;
}

/** Mutable chassis state kept by the chassis-control program (`vms/<name>/chassis.json`). */
export interface ChassisState {
  bootDevice: BootDevice;
  identify: { interval: number; force: boolean; at: string } | null;
}

export interface LinkRecord {
  /** Namespace the link lives in; null = the namespace labUp was called in. */
  ns: string | null;
  name: string;
}

export interface ProcessRecord {
  role: 'radvd' | 'ipmi_sim';
  machine?: string;
  pid: number;
}

export interface NetworkPlan {
  provisioning: { cidr: string; rackAddress: string; prefix: number };
  bmc: { cidr: string; rackAddress: string; prefix: number };
  vlan: { id: number; cidr: string; rackAddress: string; prefix: number; ula: string } | null;
  ula: string;
  rackLinks: { provisioning: string; bmc: string; vlan: string | null };
}

/** The state file (`state.json`): a journal of what the lab created, written before each step. */
export interface LabState {
  version: 1;
  name: string;
  stateDir: string;
  phase: 'building' | 'up';
  createdAt: string;
  accel: Accel;
  accelReason: string;
  rackNamespace: string | null;
  ownsRackNamespace: boolean;
  namespaces: string[];
  links: LinkRecord[];
  processes: ProcessRecord[];
  network: NetworkPlan;
  machines: MachineSpec[];
  warnings: string[];
}

export interface MachineStatus {
  name: string;
  firmware: Firmware;
  power: 'on' | 'off';
  pid: number | null;
  bootDevice: BootDevice;
  macs: string[];
  bmc: { address: string; user: string; password: string; simulatorRunning: boolean };
  consoleLog: string;
}

export interface LabStatus {
  name: string;
  stateDir: string;
  phase: LabState['phase'];
  accel: Accel;
  accelReason: string;
  rackNamespace: string | null;
  network: NetworkPlan;
  namespaces: Array<{ name: string; present: boolean }>;
  radvdRunning: boolean;
  machines: MachineStatus[];
  warnings: string[];
}
