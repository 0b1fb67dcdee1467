/**
 * The layout registry and `applyLayout`, what `set_storage_layout` runs: clear the machine's storage,
 * lay it out afresh, validate. Pure: the input tree is never modified, and the same inputs (and seed
 * sequence) always give the same tree.
 */
import { clearStorage, newDraft, reuseFrom } from '../builder.ts';
import { validateTree } from '../validate.ts';
import type { SeedFn, StorageTree, TreeResult } from '../types.ts';
import { bcacheLayout } from './bcache.ts';
import { blankLayout } from './blank.ts';
import { flatLayout } from './flat.ts';
import { lvmLayout } from './lvm.ts';
import { parseLayoutParams } from './params.ts';
import type { Layout } from './types.ts';

export const LAYOUTS: readonly Layout[] = [flatLayout, lvmLayout, bcacheLayout, blankLayout];
export const LAYOUT_NAMES = LAYOUTS.map((l) => l.name);

export function applyLayout(tree: StorageTree, name: unknown, rawParams: unknown, seed: SeedFn): TreeResult {
  const layout = LAYOUTS.find((l) => l.name === name);
  if (!layout) {
    return { errors: [{ field: 'storage_layout', message: `Unknown storage layout '${String(name)}'; choose one of ${LAYOUT_NAMES.join(', ')}.` }] };
  }
  const { params, errors } = parseLayoutParams(tree, rawParams);
  if (errors.length) return { errors };
  // Entities that come out the same as before keep their ids and UUIDs (see builder.ts).
  const draft = newDraft(clearStorage(tree), seed, tree, reuseFrom(tree));
  const layoutErrors = layout.apply(draft, params);
  if (layoutErrors.length) return { errors: layoutErrors };
  const problems = validateTree(draft.tree, { deployable: layout.deployable });
  return problems.length ? { errors: problems } : { tree: draft.tree };
}

export type { Layout } from './types.ts';
export type { LayoutParams } from './params.ts';
