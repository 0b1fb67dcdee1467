/**
 * `lvm`: the root partition becomes the only physical volume of volume group `vg_name` (default
 * vgroot), holding logical volume `lv_name` (default lvroot) of `lv_size` (default: all of it), with
 * the ext4 root filesystem.
 */
import { addLogicalVolume, addVolumeGroup, vgFree } from '../builder.ts';
import { LVM_EXTENT } from '../sizing.ts';
import { alignDown, alignUp, formatSize, resolveSize } from '../units.ts';
import { MIN_ROOT_SIZE, addRootFilesystem, basicLayout } from './common.ts';
import type { Layout } from './types.ts';

export const lvmLayout: Layout = {
  name: 'lvm',
  description: 'The root partition as the physical volume of one volume group, with an ext4 root logical volume.',
  params: ['boot_size', 'root_size', 'root_device', 'vg_name', 'lv_name', 'lv_size'],
  deployable: true,
  apply(d, p) {
    const { errors, root } = basicLayout(d, p);
    if (!root) return errors;
    const vg = addVolumeGroup(d, p.vg_name, [{ kind: 'partition', id: root.id }]);
    const free = vgFree(d.tree, vg.id);
    const size = p.lv_size ? alignUp(resolveSize(p.lv_size, free), LVM_EXTENT) : alignDown(free, LVM_EXTENT);
    if (size > free) return [{ field: 'lv_size', message: `lv_size (${formatSize(size)}) is larger than the ${formatSize(free)} volume group ${p.vg_name} holds.` }];
    if (size < MIN_ROOT_SIZE) {
      return [{ field: p.lv_size ? 'lv_size' : 'root_size', message: `The root logical volume must be at least ${formatSize(MIN_ROOT_SIZE)}, not ${formatSize(size)}.` }];
    }
    const lv = addLogicalVolume(d, vg, p.lv_name, size);
    addRootFilesystem(d, { kind: 'block', id: lv.id });
    return [];
  },
};
