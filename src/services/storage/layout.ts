/**
 * Whole-machine storage changes: MAAS's `set_storage_layout`, and Plinth's declarative storage
 * document (GET shows the current layout as a document; PUT applies one, or only checks it with a
 * dry run). Both are atomic (the domain returns a whole new tree or errors; editStorage stores it in
 * one transaction) and idempotent (entities that come out the same keep their ids and UUIDs, and an
 * unchanged tree is not written at all).
 */
import { applyDocument, applyLayout, exportDocument, type StorageDocument } from '../../domain/storage/index.ts';
import type { Actor, ServiceContext } from '../context.ts';
import { editStorage, type EditResult } from './edit.ts';
import { applyCustomLayout } from './custom.ts';
import { readStorage } from './view.ts';

/** `set_storage_layout`: admins only, Ready machines only (MAAS's rule). */
export function setStorageLayout(ctx: ServiceContext, actor: Actor, systemId: string, layout: string, params: Record<string, string | boolean>): Promise<EditResult> {
  if (layout === 'custom') return applyCustomLayout(ctx, actor, systemId);
  return editStorage(ctx, actor, systemId, (t, seed) => applyLayout(t, layout, params, seed), { adminOnly: true, status: 'ready' });
}

export interface DocumentOptions {
  dryRun?: boolean;
  /** Require a deployable result (a root filesystem, the firmware's boot partitions). Default true. */
  deployable?: boolean;
}

export function putStorageDocument(ctx: ServiceContext, actor: Actor, systemId: string, doc: unknown, opts: DocumentOptions = {}): Promise<EditResult> {
  const deployable = opts.deployable ?? true;
  return editStorage(ctx, actor, systemId, (t, seed) => applyDocument(t, doc, seed, { deployable }), { dryRun: opts.dryRun, deployable });
}

export async function getStorageDocument(ctx: ServiceContext, actor: Actor, systemId: string): Promise<StorageDocument> {
  return exportDocument((await readStorage(ctx, actor, systemId)).tree);
}
