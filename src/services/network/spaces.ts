/** Spaces: named sets of VLANs (and so of subnets) with the same reachability. */
import { invalid } from '../../domain/errors.ts';
import { loadTopology, spacesRepo, type SpaceRow } from '../../store/repos/network.ts';
import type { Actor, ServiceContext } from '../context.ts';
import { checkName, requireAdmin } from './common.ts';
import { getSpace } from './lookup.ts';

export const listSpaces = (ctx: ServiceContext) => spacesRepo.list(ctx.db);

/** A space by id or name; `-1`/`undefined` is MAAS's pseudo-space of VLANs without one (null here). */
export async function getSpaceBySpec(ctx: ServiceContext, spec: string): Promise<SpaceRow | null> {
  if (spec === '-1' || spec === 'undefined') return null;
  return getSpace(ctx.db, spec);
}

async function checkUnique(ctx: ServiceContext, name: string, exceptId = -1) {
  checkName('name', name);
  const other = await spacesRepo.byName(ctx.db, name);
  if (other && other.id !== exceptId) throw invalid({ name: ['Space with this Name already exists.'] });
  if (name === 'undefined') throw invalid({ name: ['"undefined" is reserved for VLANs without a space.'] });
}

export async function createSpace(ctx: ServiceContext, actor: Actor, f: { name?: string; description?: string }): Promise<SpaceRow> {
  requireAdmin(actor);
  if (f.name !== undefined) await checkUnique(ctx, f.name);
  return spacesRepo.insert(ctx.db, { name: f.name, description: f.description ?? '' });
}

export async function updateSpace(ctx: ServiceContext, actor: Actor, spec: string, f: { name?: string; description?: string }): Promise<SpaceRow> {
  requireAdmin(actor);
  const row = await getSpace(ctx.db, spec, await loadTopology(ctx.db));
  if (f.name !== undefined) await checkUnique(ctx, f.name, row.id);
  return spacesRepo.update(ctx.db, row.id, { name: f.name ?? row.name, description: f.description ?? row.description });
}

/** Deleting a space leaves its VLANs without one. */
export async function deleteSpace(ctx: ServiceContext, actor: Actor, spec: string): Promise<void> {
  requireAdmin(actor);
  const row = await getSpace(ctx.db, spec);
  await spacesRepo.delete(ctx.db, row.id);
}
