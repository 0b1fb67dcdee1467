/**
 * `bcache`: like flat, but the root partition is the backing device of a bcache device cached by an
 * SSD, and /boot (default 1 GiB) stays a plain partition because GRUB cannot read bcache. The cache
 * device is `cache_device` or the smallest SSD-tagged disk other than the boot and root disks; its
 * cache set sits on one partition of `cache_size` (default: the whole disk) or, with
 * `cache_no_part`, on the bare disk. Without any cache device the layout is flat.
 */
import { addBcache, addCacheSet, addPartition, freeTail, setPartitionTable, type Draft } from '../builder.ts';
import { BCACHE_MIN_CACHE, defaultTableType } from '../sizing.ts';
import { baseArch, bootDisk, deviceName, findDevice, isSsd, physicalDevices } from '../tree.ts';
import { GiB, formatSize, resolveSize } from '../units.ts';
import type { StorageError, StorageRef } from '../types.ts';
import { addRootFilesystem, basicLayout } from './common.ts';
import { flatLayout } from './flat.ts';
import type { LayoutParams } from './params.ts';
import type { Layout } from './types.ts';

export const BCACHE_DEFAULT_BOOT_SIZE = GiB;

function pickCacheDevice(d: Draft, p: LayoutParams): number | undefined {
  if (p.cache_device !== undefined) return p.cache_device;
  const taken = new Set([bootDisk(d.tree)?.id, p.root_device]);
  const ssds = physicalDevices(d.tree).filter((x) => isSsd(x) && !taken.has(x.id));
  ssds.sort((a, b) => a.size - b.size || a.id - b.id);
  return ssds[0]?.id;
}

function cacheTarget(d: Draft, p: LayoutParams, deviceId: number): { ref?: StorageRef; errors: StorageError[] } {
  const dev = findDevice(d.tree, deviceId)!;
  const name = deviceName(d.tree, dev);
  if (p.cache_no_part) {
    if (p.cache_size) return { errors: [{ field: 'cache_size', message: 'cache_size cannot be used with cache_no_part: the whole device becomes the cache.' }] };
    if (dev.size < BCACHE_MIN_CACHE) return { errors: [{ field: 'cache_device', message: `${name} is smaller than the ${formatSize(BCACHE_MIN_CACHE)} a bcache cache needs.` }] };
    return { ref: { kind: 'block', id: dev.id }, errors: [] };
  }
  setPartitionTable(d, dev.id, defaultTableType(d.tree.firmware, baseArch(d.tree.architecture), dev));
  const free = freeTail(d.tree, dev).size;
  const size = p.cache_size ? resolveSize(p.cache_size, free) : free;
  if (size > free) return { errors: [{ field: 'cache_size', message: `cache_size (${formatSize(size)}) is larger than the ${formatSize(free)} free on ${name}.` }] };
  if (size < BCACHE_MIN_CACHE) return { errors: [{ field: p.cache_size ? 'cache_size' : 'cache_device', message: `The cache partition must be at least ${formatSize(BCACHE_MIN_CACHE)}, not ${formatSize(size)}.` }] };
  const part = addPartition(d, dev.id, { size });
  return { ref: { kind: 'partition', id: part.id }, errors: [] };
}

export const bcacheLayout: Layout = {
  name: 'bcache',
  description: 'An SSD-cached root: the root partition backs a bcache device; /boot stays a plain partition.',
  params: ['boot_size', 'root_size', 'root_device', 'cache_device', 'cache_mode', 'cache_size', 'cache_no_part'],
  deployable: true,
  apply(d, p) {
    const cacheId = pickCacheDevice(d, p);
    if (cacheId === undefined) return flatLayout.apply(d, p);
    const disk = bootDisk(d.tree);
    if (cacheId === disk?.id || cacheId === (p.root_device ?? disk?.id)) {
      return [{ field: 'cache_device', message: 'The cache device must be a different disk from the boot disk and the root device.' }];
    }
    const { errors, root } = basicLayout(d, p, { defaultBootSize: BCACHE_DEFAULT_BOOT_SIZE });
    if (!root) return errors;
    const cache = cacheTarget(d, p, cacheId);
    if (!cache.ref) return cache.errors;
    const cs = addCacheSet(d, cache.ref);
    const { device } = addBcache(d, 'bcache0', { kind: 'partition', id: root.id }, cs, p.cache_mode);
    addRootFilesystem(d, { kind: 'block', id: device.id });
    return [];
  },
};
