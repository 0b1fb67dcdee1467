/** BcachesHandler/BcacheHandler and BcacheCacheSetsHandler/BcacheCacheSetHandler. */
import { noMatch } from '../../../../domain/errors.ts';
import {
  createBcacheOp, createCacheSetOp, deleteBcacheOp, deleteCacheSetOp, updateBcacheOp, updateCacheSetOp, type BcacheSpec,
} from '../../../../services/storage/ops-raid-bcache.ts';
import type { StorageView } from '../../../../services/storage/view.ts';
import type { Args } from '../../args.ts';
import { crud, p, type HandlerDecl } from '../../declare.ts';
import { noContent } from '../../replies.ts';
import { renderBcache, renderCacheSet } from '../../render/storage.ts';
import { edit, findView, optional, pathId } from './common.ts';

function bcache(v: StorageView, raw: string | undefined) {
  const id = pathId(raw, 'Bcache');
  const b = v.tree.bcaches.find((x) => x.id === id);
  if (!b) throw noMatch('Bcache');
  return b;
}

function cacheSet(v: StorageView, raw: string | undefined) {
  const id = pathId(raw, 'CacheSet');
  const c = v.tree.cache_sets.find((x) => x.id === id);
  if (!c) throw noMatch('CacheSet');
  return c;
}

const bcacheSpec = (args: Args): BcacheSpec => ({
  name: optional(args, 'name'), uuid: optional(args, 'uuid'), cache_set: optional(args, 'cache_set'),
  backing_device: optional(args, 'backing_device'), backing_partition: optional(args, 'backing_partition'), cache_mode: optional(args, 'cache_mode'),
});

const bcacheParams = (create: boolean) => [
  p.str('name', 'Name of the Bcache.'),
  p.str('uuid', 'UUID of the Bcache.'),
  p.str('cache_set', 'Cache set (id or name).', create),
  p.str('backing_device', 'Backing block device.'),
  p.str('backing_partition', 'Backing partition.'),
  p.str('cache_mode', 'Cache mode: writeback, writethrough or writearound.', create),
];

export const BcachesHandler: HandlerDecl = {
  name: 'BcachesHandler',
  path: '/nodes/{system_id}/bcaches/',
  doc: 'Manage bcache devices on a machine.',
  actions: [
    crud.read('List all bcache devices belonging to a machine.', async ({ svc, user, path }) => {
      const v = await findView(svc, user, path.system_id);
      return v.tree.bcaches.map((b) => renderBcache(v, b));
    }),
    crud.create('Creates a bcache.', async ({ svc, user, path, args }) => {
      const { result, view } = await edit(svc, user, path.system_id, createBcacheOp(bcacheSpec(args)));
      return renderBcache(view, bcache(view, String(result.created!.id)));
    }, bcacheParams(true)),
  ],
};

export const BcacheHandler: HandlerDecl = {
  name: 'BcacheHandler',
  path: '/nodes/{system_id}/bcache/{id}/',
  doc: 'Manage bcache device on a machine.',
  actions: [
    crud.read('Read a bcache device.', async ({ svc, user, path }) => {
      const v = await findView(svc, user, path.system_id);
      return renderBcache(v, bcache(v, path.id));
    }),
    crud.update('Update a bcache.', async ({ svc, user, path, args }) => {
      const b = bcache(await findView(svc, user, path.system_id), path.id);
      const { view } = await edit(svc, user, path.system_id, updateBcacheOp(b.id, bcacheSpec(args)));
      return renderBcache(view, bcache(view, path.id));
    }, bcacheParams(false)),
    crud.delete('Delete a bcache: its device and what is on it go; the backing device becomes free.', async ({ svc, user, path }) => {
      const b = bcache(await findView(svc, user, path.system_id), path.id);
      await edit(svc, user, path.system_id, deleteBcacheOp(b.id));
      return noContent;
    }),
  ],
};

const cacheParams = [
  p.str('cache_device', 'Cache block device.'),
  p.str('cache_partition', 'Cache partition.'),
];

export const BcacheCacheSetsHandler: HandlerDecl = {
  name: 'BcacheCacheSetsHandler',
  path: '/nodes/{system_id}/bcache-cache-sets/',
  doc: 'Manage bcache cache sets on a machine.',
  actions: [
    crud.read('List all bcache cache sets belonging to a machine.', async ({ svc, user, path }) => {
      const v = await findView(svc, user, path.system_id);
      return v.tree.cache_sets.map((c) => renderCacheSet(v, c));
    }),
    crud.create('Creates a bcache cache set.', async ({ svc, user, path, args }) => {
      const { result, view } = await edit(svc, user, path.system_id, createCacheSetOp({ cache_device: optional(args, 'cache_device'), cache_partition: optional(args, 'cache_partition') }));
      return renderCacheSet(view, cacheSet(view, String(result.created!.id)));
    }, cacheParams),
  ],
};

export const BcacheCacheSetHandler: HandlerDecl = {
  name: 'BcacheCacheSetHandler',
  path: '/nodes/{system_id}/bcache-cache-set/{id}/',
  doc: 'Manage bcache cache set on a machine.',
  actions: [
    crud.read('Read a bcache cache set.', async ({ svc, user, path }) => {
      const v = await findView(svc, user, path.system_id);
      return renderCacheSet(v, cacheSet(v, path.id));
    }),
    crud.update('Update a bcache cache set.', async ({ svc, user, path, args }) => {
      const c = cacheSet(await findView(svc, user, path.system_id), path.id);
      const { view } = await edit(svc, user, path.system_id, updateCacheSetOp(c.id, { cache_device: optional(args, 'cache_device'), cache_partition: optional(args, 'cache_partition') }));
      return renderCacheSet(view, cacheSet(view, path.id));
    }, cacheParams),
    crud.delete('Delete the bcache cache set (refused while a bcache uses it).', async ({ svc, user, path }) => {
      const c = cacheSet(await findView(svc, user, path.system_id), path.id);
      await edit(svc, user, path.system_id, deleteCacheSetOp(c.id));
      return noContent;
    }),
  ],
};
