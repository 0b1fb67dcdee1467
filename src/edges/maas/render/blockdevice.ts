/** Block device representation (maas-api-spec.md §10.3). */
import type { BlockDeviceRow } from '../../../store/repos/machines.ts';
import { uri } from './common.ts';

export function renderBlockDevice(systemId: string, b: BlockDeviceRow) {
  return {
    system_id: systemId, id: b.id, name: b.name, uuid: b.uuid, type: b.type, path: `/dev/disk/by-dname/${b.name}`,
    model: b.model, serial: b.serial, id_path: b.id_path, size: b.size, block_size: b.block_size,
    available_size: b.size, used_size: 0, used_for: 'Unused', tags: b.tags, filesystem: null, partition_table_type: null,
    partitions: [], firmware_version: b.firmware_version, storage_pool: null, numa_node: 0,
    resource_uri: uri(`/nodes/${systemId}/blockdevices/${b.id}/`),
  };
}
