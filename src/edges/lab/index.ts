/**
 * The lab: a virtual datacenter on one Linux host — network namespaces with bridges, QEMU virtual
 * machines that network-boot through the rack, and an emulated IPMI BMC per machine. Needs root and
 * the Debian packages qemu-system-x86 qemu-utils ipxe-qemu ipxe ovmf openipmi ipmitool
 * freeipmi-tools iproute2 (radvd recommended). See docs/lab.md for the picture and for debugging.
 *
 * API (all state lives in `stateDir`; every function takes it, so they are independent calls):
 *
 *   labUp(options): Promise<LabStatus>
 *     Builds the lab; machines start powered off unless `powerOn: true`. Options (all but stateDir
 *     optional): machines (1), firmware 'bios'|'uefi'|'mixed' ('bios'), disks (1), diskSizeMiB
 *     (8192), nics (1), memoryMiB (1536: the ephemeral environment runs from RAM; UEFI ≥ 192), cpus (1), rackNamespace (undefined = the
 *     caller's namespace; a name that does not exist is created and later removed by labDown),
 *     network { provisioningCidr ('10.213.0.0/24'), bmcCidr ('10.214.0.0/24'),
 *     vlan?: { id, cidr }, ula? }, bmc { user ('admin'), password ('password') },
 *     accel 'auto'|'kvm'|'tcg' ('auto' = KVM only if a trial boot proves it faster; cached),
 *     name (lab prefix, default "pl" + 6 hex of the state directory), powerOn (false).
 *     The VLAN needs kernel 802.1Q support; without it labUp fails with bad_option.
 *     Throws LabError: not_root, missing_packages (message has the apt-get line), bad_option,
 *     already_up, command_failed. `status.warnings` says e.g. "No usable KVM — … (slower)".
 *
 *   labStatus(stateDir): Promise<LabStatus>
 *     Addresses, namespaces, and per machine: power (by QEMU PID), boot device, MACs, BMC address
 *     and credentials, console log path. Throws LabError not_found if there is no lab.
 *
 *   labConsole(stateDir, machineName, maxBytes?): { path, content, truncated }
 *     The machine's serial console log (SeaBIOS/OVMF, iPXE, kernel output).
 *
 *   labDown(stateDir, { keepFiles? }): Promise<DownReport>
 *     Stops every process and removes every namespace and link of the lab — from the state file
 *     and, after a crash, by name prefix and by path; idempotent. `report.leftovers` lists anything
 *     that could not be removed (normally empty). Removes state.json, disks and logs unless keepFiles.
 *
 * Addresses with the defaults: the rack's interfaces `<name>-rp` 10.213.0.1/24 (provisioning) and
 * `<name>-rb` 10.214.0.1/24 (BMCs); BMC of machine n at 10.214.0.(10+n), UDP 623, admin/password;
 * machine names vm01, vm02, …; MACs 52:54:xx:00:nn:kk.
 */
export { labUp, type LabUpExtras } from './up.ts';
export { labDown, type DownOptions, type DownReport } from './down.ts';
export { labConsole, labStatus, type ConsoleOutput } from './status.ts';
export { LabError, type LabErrorCode } from './errors.ts';
export { DEFAULTS } from './plan.ts';
export type {
  Accel,
  BootDevice,
  Firmware,
  FirmwareChoice,
  LabStatus,
  LabUpOptions,
  MachineStatus,
  NetworkPlan,
} from './types.ts';
