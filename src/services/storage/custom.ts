/**
 * MAAS's `custom` storage layout: the layout commissioning reports for a machine (its storage-extra
 * output, in Plinth's storage-document form) is stored here, and `set_storage_layout custom` applies it
 * like a PUT of that document. Commissioning (the metadata service) calls storeCustomStorageLayout.
 */
import { noMatch } from '../../domain/errors.ts';
import { applyDocument, validateDocument } from '../../domain/storage/index.ts';
import { nodesRepo } from '../../store/repos/machines.ts';
import { customLayoutsRepo } from '../../store/repos/storage.ts';
import type { Actor, Queryable, ServiceContext } from '../context.ts';
import { editStorage, storageInvalid, type EditResult } from './edit.ts';

export async function storeCustomStorageLayout(ctx: ServiceContext, systemId: string, document: unknown, source = 'commissioning', q: Queryable = ctx.db) {
  const checked = validateDocument(document);
  if (checked.errors) throw storageInvalid(checked.errors);
  const node = await nodesRepo.bySystemId(q, systemId);
  if (!node) throw noMatch('Machine');
  await customLayoutsRepo.set(q, node.id, checked.doc, source);
}

/** Applies the stored custom layout; Ready machines and admins only, as every set_storage_layout. */
export async function applyCustomLayout(ctx: ServiceContext, actor: Actor, systemId: string): Promise<EditResult> {
  const node = await nodesRepo.bySystemId(ctx.db, systemId);
  if (!node) throw noMatch('Machine');
  const document = await customLayoutsRepo.get(ctx.db, node.id);
  const missing = `Machine ${systemId} has no custom storage layout: commissioning did not report one. Use flat, lvm, bcache or blank, or PUT a storage document to nodes/${systemId}/storage/.`;
  // Access and status are checked by editStorage first (403/409), as for every layout.
  return editStorage(ctx, actor, systemId, (t, seed) => (document === undefined
    ? { errors: [{ field: 'storage_layout', message: missing }] }
    : applyDocument(t, document, seed, { deployable: true })), { adminOnly: true, status: 'ready' });
}
