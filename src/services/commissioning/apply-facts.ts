/**
 * The machine-level part of `00-plinth-facts`: CPU count and speed, memory, firmware (the boot method
 * storage layouts and boot loaders follow), the hardware UUID and MAAS's `hardware_info` summary from
 * DMI. Pure: facts in, a patch for the nodes row out (or why the facts do not fit this machine).
 */
import { ARCHES } from '../../domain/machine/architecture.ts';
import type { NodePatch } from '../../store/repos/machine-write.ts';
import type { Facts } from './facts.ts';

/** SMBIOS 3.x chassis types (DMI type 3, byte 5), as dmidecode names them. */
const CHASSIS = ['', 'Other', 'Unknown', 'Desktop', 'Low Profile Desktop', 'Pizza Box', 'Mini Tower', 'Tower', 'Portable',
  'Laptop', 'Notebook', 'Hand Held', 'Docking Station', 'All In One', 'Sub Notebook', 'Space-saving', 'Lunch Box',
  'Main Server Chassis', 'Expansion Chassis', 'Sub Chassis', 'Bus Expansion Chassis', 'Peripheral Chassis', 'RAID Chassis',
  'Rack Mount Chassis', 'Sealed-case PC', 'Multi-system', 'CompactPCI', 'AdvancedTCA', 'Blade', 'Blade Enclosure',
  'Tablet', 'Convertible', 'Detachable', 'IoT Gateway', 'Embedded PC', 'Mini PC', 'Stick PC'];

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Firmware placeholders vendors leave in DMI fields; MAAS shows "Unknown" for them. */
const PLACEHOLDER = /^(to be filled by o\.?e\.?m\.?|default string|not specified|none|n\/a|system (product name|serial number|manufacturer|version)|0+|x+|0123456789)$/i;
const shown = (v: string | null) => (v && !PLACEHOLDER.test(v.trim()) ? v.trim() : undefined);

export function hardwareInfo(f: Facts): Record<string, string> {
  const { system, board, chassis } = f.dmi;
  const chassisType = chassis.type && /^\d+$/.test(chassis.type) ? CHASSIS[Number(chassis.type) & 0x7f] || undefined : shown(chassis.type);
  const info: Record<string, string | undefined> = {
    system_vendor: shown(system.vendor), system_product: shown(system.product), system_family: shown(system.family),
    system_version: shown(system.version), system_sku: shown(system.sku), system_serial: shown(system.serial),
    cpu_model: shown(f.cpu.model),
    mainboard_vendor: shown(board.vendor), mainboard_product: shown(board.product), mainboard_serial: shown(board.serial),
    mainboard_version: shown(board.version),
    mainboard_firmware_vendor: shown(f.firmware.vendor), mainboard_firmware_date: shown(f.firmware.date),
    mainboard_firmware_version: shown(f.firmware.version),
    chassis_vendor: shown(chassis.vendor), chassis_type: chassisType, chassis_serial: shown(chassis.serial),
    chassis_version: shown(chassis.version),
  };
  return Object.fromEntries(Object.entries(info).filter((e): e is [string, string] => e[1] !== undefined));
}

export interface MachineFit { patch: NodePatch; error?: undefined }

/**
 * The patch for the machine, or an error when the facts contradict what the machine is registered as
 * (its architecture decides which images it boots: a mismatch means the wrong kernel later).
 */
export function machinePatch(f: Facts, current: { architecture: string | null }): MachineFit | { error: string } {
  if (!(ARCHES as readonly string[]).includes(f.architecture)) {
    return { error: `The machine reports architecture '${f.architecture}', which Plinth does not support (${ARCHES.join(', ')}).` };
  }
  const registered = current.architecture?.split('/')[0];
  if (registered && registered !== f.architecture) {
    return {
      error: `The machine reports architecture '${f.architecture}' but is registered as '${current.architecture}'. `
        + `Set its architecture to '${f.architecture}/generic' and commission it again.`,
    };
  }
  const uuid = f.dmi.system.uuid?.toLowerCase();
  const patch: NodePatch = {
    cpu_count: f.cpu.count,
    cpu_speed: f.cpu.speed_mhz ?? 0,
    memory: f.memory_mib ?? 0,
    bios_boot_method: f.firmware.type === 'uefi' ? 'uefi' : 'pxe',
    hardware_info: hardwareInfo(f),
  };
  if (!current.architecture) patch.architecture = `${f.architecture}/generic`;
  if (uuid && UUID.test(uuid) && !/^0{8}-|^f{8}-/.test(uuid)) patch.hardware_uuid = uuid;
  return { patch };
}
