/** The storage handlers, in the order they are registered. */
import type { HandlerDecl } from '../../declare.ts';
import { BcacheCacheSetHandler, BcacheCacheSetsHandler, BcacheHandler, BcachesHandler } from './bcaches.ts';
import { BlockDeviceHandler, BlockDevicesHandler } from './blockdevices.ts';
import { StorageLayoutHandler } from './layout.ts';
import { PartitionHandler, PartitionsHandler } from './partitions.ts';
import { RaidHandler, RaidsHandler } from './raids.ts';
import { VolumeGroupHandler, VolumeGroupsHandler } from './volume-groups.ts';

export const STORAGE_HANDLERS: HandlerDecl[] = [
  BlockDevicesHandler, BlockDeviceHandler, PartitionsHandler, PartitionHandler, VolumeGroupsHandler, VolumeGroupHandler,
  RaidsHandler, RaidHandler, BcachesHandler, BcacheHandler, BcacheCacheSetsHandler, BcacheCacheSetHandler, StorageLayoutHandler,
];

export { STORAGE_MACHINE_ACTIONS } from './layout.ts';
