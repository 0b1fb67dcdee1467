/** The shape every layout module exports (one file per layout; index.ts lists them). */
import type { Draft } from '../builder.ts';
import type { StorageError } from '../types.ts';
import type { LayoutParams } from './params.ts';

export interface Layout {
  name: string;
  description: string;
  /** The parameters this layout reads (others are accepted and ignored, as MAAS does). */
  params: readonly (keyof LayoutParams)[];
  /** Whether the result must be deployable (have a root filesystem and a bootable boot disk). */
  deployable: boolean;
  /** Lay storage out on a cleared draft. Returns the user errors; the caller validates the tree. */
  apply(d: Draft, p: LayoutParams): StorageError[];
}
