/**
 * The storage domain: a machine's disks, partitions, filesystems, LVM, RAID and bcache as plain
 * data (types.ts), the MAAS layouts, the declarative document, validation, the install plan and the
 * curtin rendering. Pure: no I/O and no randomness (callers pass a SeedFn).
 */
export * from './types.ts';
export { parseSize, resolveSize, formatSize, humanSizeDecimal, KiB, MiB, GiB, TiB, ALIGNMENT } from './units.ts';
export { uuidFromSeed, fatVolumeIdFromSeed } from './ids.ts';
export {
  emptyTree, bootDisk, deviceName, partitionName, refName, devicePath, partitionPath, usedFor, isSsd, filesystemOn,
  partitionsOf, virtualDevicesOf, members,
} from './tree.ts';
export { raidSize, pvCapacity, bcacheSize, usableEnd, RAID_MIN_DEVICES, MD_RESERVED, LVM_EXTENT } from './sizing.ts';
export { validateTree, canEditStorage, STORAGE_EDITABLE_STATUSES, type ValidateOptions } from './validate.ts';
export { applyLayout, LAYOUTS, LAYOUT_NAMES, type Layout, type LayoutParams } from './layouts/index.ts';
export { applyDocument, type ApplyDocumentOptions } from './document.ts';
export { validateDocument } from './document-validate.ts';
export { exportDocument } from './document-export.ts';
export type * from './document-types.ts';
export { planStorage, type PlanOp, type StoragePlan, type PlanOptions } from './planner.ts';
export { commandsFor, renderPlanScript, shellQuote, type Command } from './plan-render.ts';
export { toCurtinStorage, type CurtinItem, type CurtinStorage } from './curtin.ts';
export { deviceUsage, refUsage, volumeGroupUsage, type Usage } from './usage.ts';
