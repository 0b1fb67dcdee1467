/**
 * `blank`: no partitions, filesystems or groups at all. The user builds storage by hand (or with a
 * storage document); deploying needs a / filesystem, so a blank tree is valid but not deployable.
 */
import type { Layout } from './types.ts';

export const blankLayout: Layout = {
  name: 'blank',
  description: 'Remove all partitions, filesystems and groups; configure storage by hand.',
  params: [],
  deployable: false,
  apply() {
    return [];
  },
};
