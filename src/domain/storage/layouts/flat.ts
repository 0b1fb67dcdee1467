/** `flat`: the boot partitions, then one ext4 root partition labelled `root` mounted at /. */
import { addRootFilesystem, basicLayout } from './common.ts';
import type { Layout } from './types.ts';

export const flatLayout: Layout = {
  name: 'flat',
  description: 'One ext4 root partition on the boot disk (after the firmware boot partition and an optional /boot).',
  params: ['boot_size', 'root_size', 'root_device'],
  deployable: true,
  apply(d, p) {
    const { errors, root } = basicLayout(d, p);
    if (root) addRootFilesystem(d, { kind: 'partition', id: root.id });
    return errors;
  },
};
