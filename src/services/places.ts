/** Zones and resource pools: create, rename, describe, delete (never the default, never while in use). */
import { badRequest, conflict, forbidden, invalid, noMatch } from '../domain/errors.ts';
import { poolsRepo, zonesRepo, type PoolRow, type ZoneRow } from '../store/repos/places.ts';
import type { Actor, ServiceContext } from './context.ts';

const NAME = /^[\w-]{1,256}$/;

function checkName(name: string | undefined, field = 'name') {
  if (name === undefined || name === '') throw invalid({ [field]: ['This field is required.'] });
  if (!NAME.test(name)) throw invalid({ [field]: ['Enter a valid name: letters, digits, underscores and hyphens only.'] });
}

function kind(which: 'zone' | 'pool') {
  const repo = which === 'zone' ? zonesRepo : poolsRepo;
  const model = which === 'zone' ? 'Zone' : 'ResourcePool';
  const column = which === 'zone' ? 'zone_id' : 'pool_id';
  const isDefault = (row: ZoneRow | PoolRow) => row.name === 'default';
  return {
    list: (ctx: ServiceContext) => repo.list(ctx.db),
    async get(ctx: ServiceContext, key: { name?: string; id?: number }) {
      const row = key.id !== undefined ? await repo.byId(ctx.db, key.id) : await repo.byName(ctx.db, key.name ?? '');
      if (!row) throw noMatch(model);
      return row;
    },
    async create(ctx: ServiceContext, actor: Actor, name: string | undefined, description = '') {
      if (!actor.isAdmin) throw forbidden();
      checkName(name);
      if (await repo.byName(ctx.db, name!)) throw invalid({ name: [`${model} with this Name already exists.`] });
      return repo.insert(ctx.db, name!, description);
    },
    async update(ctx: ServiceContext, actor: Actor, row: ZoneRow | PoolRow, patch: { name?: string; description?: string }) {
      if (!actor.isAdmin) throw forbidden();
      const name = patch.name ?? row.name;
      if (patch.name !== undefined) {
        checkName(patch.name);
        if (isDefault(row) && patch.name !== row.name) throw badRequest(`The default ${which === 'zone' ? 'zone' : 'resource pool'} cannot be renamed.`);
        const other = await repo.byName(ctx.db, patch.name);
        if (other && other.id !== row.id) throw invalid({ name: [`${model} with this Name already exists.`] });
      }
      return repo.update(ctx.db, row.id, name, patch.description ?? row.description);
    },
    async delete(ctx: ServiceContext, actor: Actor, row: ZoneRow | PoolRow) {
      if (!actor.isAdmin) throw forbidden();
      if (isDefault(row)) throw badRequest(`This ${which === 'zone' ? 'zone' : 'resource pool'} is the default and cannot be deleted.`);
      const used = await repo.usage(ctx.db, row.id, column);
      if (used) throw conflict(`Cannot delete ${which === 'zone' ? 'zone' : 'resource pool'} '${row.name}': ${used} machine(s) still belong to it.`);
      await repo.delete(ctx.db, row.id);
    },
  };
}

export const zones = kind('zone');
export const pools = kind('pool');
