/** Reading boot resources with their sets and files (the API's list and read). */
import { badRequest, noMatch } from '../../domain/errors.ts';
import { bootResourcesRepo, type BootFileRow, type BootResourceRow, type BootSetRow, type ResourceType } from '../../store/repos/boot-resources.ts';
import type { ServiceContext } from '../context.ts';

export interface ResourceView { resource: BootResourceRow; sets: Array<{ set: BootSetRow; files: BootFileRow[] }> }

const TYPES: Record<string, ResourceType> = { synced: 'Synced', generated: 'Generated', uploaded: 'Uploaded' };

/** `type` as MAAS takes it: absent or `all`, else synced, generated or uploaded. */
export async function listResources(ctx: ServiceContext, type?: string): Promise<BootResourceRow[]> {
  if (type === undefined || type === 'all') return bootResourcesRepo.list(ctx.db);
  const rtype = TYPES[type];
  if (!rtype) {
    throw badRequest(`'${type}' is not a valid boot resource type. Available types: [${Object.keys(TYPES).map((t) => `'${t}'`).join(', ')}]`);
  }
  return bootResourcesRepo.list(ctx.db, rtype);
}

export async function getResource(ctx: ServiceContext, rawId: string | number): Promise<ResourceView> {
  const id = Number(rawId);
  const resource = Number.isSafeInteger(id) && id > 0 && id < 2 ** 31 ? await bootResourcesRepo.byId(ctx.db, id) : undefined;
  if (!resource) throw noMatch('BootResource');
  const sets = await bootResourcesRepo.sets(ctx.db, [resource.id]);
  const files = sets.length ? await bootResourcesRepo.files(ctx.db, sets.map((s) => s.id)) : [];
  return { resource, sets: sets.map((set) => ({ set, files: files.filter((f) => f.set_id === set.id) })) };
}
