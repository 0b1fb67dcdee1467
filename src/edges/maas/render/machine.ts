/**
 * The complete machine representation (maas-api-spec.md §10.1) with the types strict clients validate
 * (gomaasapi): strings never null where they must be strings, objects for zone/pool/domain, lists for sets.
 */
import { statusName } from '../../../domain/machine/status.ts';
import type { MachineRecord } from '../../../store/repos/machines.ts';
import { machineStorageFields } from './storage.ts';
import { defaultGateways, nodeIpAddresses, renderInterface } from './interface.ts';
import { renderDomain, renderPool, renderZone, uri } from './common.ts';

const HARDWARE_KEYS = ['system_vendor', 'system_product', 'system_family', 'system_version', 'system_sku', 'system_serial',
  'cpu_model', 'mainboard_vendor', 'mainboard_product', 'mainboard_serial', 'mainboard_version', 'mainboard_firmware_vendor',
  'mainboard_firmware_date', 'mainboard_firmware_version', 'chassis_vendor', 'chassis_type', 'chassis_serial', 'chassis_version'];

const SCRIPT_STATUS = ['commissioning_status', 'testing_status', 'cpu_test_status', 'memory_test_status', 'network_test_status',
  'storage_test_status', 'other_test_status', 'interface_test_status'];

export function renderMachine(m: MachineRecord, extra: Record<string, unknown> = {}) {
  const sid = m.system_id;
  const interfaces = m.interfaces.map((i) => renderInterface(sid, i, m.interfaces, m.network));
  const bootIface = m.interfaces.find((i) => i.is_boot) ?? m.interfaces[0];
  const storage = machineStorageFields(m);
  const physical = storage.physical;
  const hardwareInfo: Record<string, string> = {};
  for (const k of HARDWARE_KEYS) hardwareInfo[k] = m.hardware_info[k] ?? 'Unknown';
  const scriptStatus: Record<string, unknown> = {};
  for (const k of SCRIPT_STATUS) { scriptStatus[k] = -1; scriptStatus[`${k}_name`] = 'Unknown'; }
  const storageMb = physical.reduce((s, d) => s + d.size, 0) / 1e6;
  return {
    system_id: sid,
    hostname: m.hostname,
    description: m.description,
    hardware_uuid: m.hardware_uuid,
    domain: renderDomain(m.domain),
    fqdn: `${m.hostname}.${m.domain.name}`,
    owner: m.owner,
    owner_data: m.workload_annotations,
    workload_annotations: m.workload_annotations,
    locked: m.locked,
    cache_sets: storage.cache_sets, bcaches: storage.bcaches, volume_groups: storage.volume_groups, raids: storage.raids,
    bios_boot_method: m.bios_boot_method,
    boot_interface: bootIface ? interfaces.find((i) => i.id === bootIface.id) : null,
    architecture: m.architecture,
    min_hwe_kernel: m.min_hwe_kernel || null,
    hwe_kernel: m.hwe_kernel,
    cpu_count: m.cpu_count,
    cpu_speed: m.cpu_speed,
    memory: m.memory,
    swap_size: m.swap_size,
    storage: storageMb,
    status: m.status,
    status_name: statusName(m.status),
    status_message: m.status_message,
    status_action: m.status_action,
    osystem: m.osystem,
    distro_series: m.distro_series,
    ephemeral_deploy: m.ephemeral_deploy,
    error_description: m.error_description,
    netboot: m.netboot,
    power_type: m.power_type,
    power_state: m.power_state,
    tag_names: m.tags,
    address_ttl: null,
    ip_addresses: nodeIpAddresses(m.interfaces, m.network),
    interface_set: interfaces,
    zone: renderZone(m.zone),
    pool: m.pool ? renderPool(m.pool) : null,
    disable_ipv4: false,
    boot_disk: storage.boot_disk,
    blockdevice_set: storage.disks,
    physicalblockdevice_set: physical,
    virtualblockdevice_set: storage.virtual,
    special_filesystems: storage.special_filesystems,
    node_type: 0,
    node_type_name: 'Machine',
    parent: null,
    pod: null,
    virtualmachine_id: null,
    default_gateways: defaultGateways(m, m.interfaces, m.network),
    current_commissioning_result_id: null,
    current_testing_result_id: null,
    current_installation_result_id: null,
    ...scriptStatus,
    hardware_info: hardwareInfo,
    numanode_set: [{ index: 0, cores: Array.from({ length: m.cpu_count }, (_, i) => i), memory: m.memory, hugepages_set: [] }],
    last_sync: null, next_sync: null, sync_interval: null,
    enable_hw_sync: false,
    enable_kernel_crash_dump: false,
    is_dpu: false,
    resource_uri: uri(`/machines/${sid}/`),
    ...extra,
  };
}

/** What an anonymous enlistment request gets back. */
export function renderAnonMachine(m: MachineRecord) {
  return {
    system_id: m.system_id, hostname: m.hostname, domain: renderDomain(m.domain), fqdn: `${m.hostname}.${m.domain.name}`,
    architecture: m.architecture, status: m.status, power_type: m.power_type, power_state: m.power_state,
    zone: renderZone(m.zone), status_action: m.status_action, status_message: m.status_message,
    status_name: statusName(m.status), node_type: 0, resource_uri: uri(`/machines/${m.system_id}/`),
  };
}
