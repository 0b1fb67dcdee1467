import { badRequest } from '../../../domain/errors.ts';
import { pools, zones } from '../../../services/places.ts';
import { crud, p, type HandlerDecl } from '../declare.ts';
import { noContent } from '../replies.ts';
import { renderPool, renderZone } from '../render/common.ts';

const nameParams = (what: string, required: boolean) => [
  p.str('name', `The ${what}'s name.`, required),
  p.str('description', `A brief description of the ${what}.`),
];

export const ZonesHandler: HandlerDecl = {
  name: 'ZonesHandler',
  path: '/zones/',
  doc: 'Manage physical zones.',
  actions: [
    crud.read('List zones', async ({ svc }) => (await zones.list(svc)).map(renderZone)),
    crud.create('Create a new zone', async ({ svc, user, args }) =>
      renderZone(await zones.create(svc, user, args.str('name'), args.str('description'))), nameParams('zone', true), true),
  ],
};

export const ZoneHandler: HandlerDecl = {
  name: 'ZoneHandler',
  path: '/zones/{name}/',
  doc: 'Manage a physical zone.',
  actions: [
    crud.read('Retrieve a zone', async ({ svc, path }) => renderZone(await zones.get(svc, { name: path.name }))),
    crud.update('Update a zone', async ({ svc, user, path, args }) =>
      renderZone(await zones.update(svc, user, await zones.get(svc, { name: path.name }), { name: args.str('name'), description: args.str('description') })),
    nameParams('zone', false), true),
    crud.delete('Delete a zone', async ({ svc, user, path }) => { await zones.delete(svc, user, await zones.get(svc, { name: path.name })); return noContent; }, [], true),
  ],
};

/** Pools are addressed by id or, as a convenience, by name. */
const poolKey = (raw: string) => (/^\d{1,9}$/.test(raw) ? { id: Number(raw) } : /^[\w-]+$/.test(raw) ? { name: raw } : (() => { throw badRequest(`Invalid resource pool: '${raw}'.`); })());

export const ResourcePoolsHandler: HandlerDecl = {
  name: 'ResourcePoolsHandler',
  path: '/resourcepools/',
  // juju's gomaasapi (2.0.0) lists pools at `pools/`; serve it there too.
  aliases: ['/pools/'],
  doc: 'Manage resource pools.',
  actions: [
    crud.read('List resource pools', async ({ svc }) => (await pools.list(svc)).map(renderPool)),
    crud.create('Create a resource pool', async ({ svc, user, args }) =>
      renderPool(await pools.create(svc, user, args.str('name'), args.str('description'))), nameParams('resource pool', true), true),
  ],
};

export const ResourcePoolHandler: HandlerDecl = {
  name: 'ResourcePoolHandler',
  path: '/resourcepool/{id}/',
  aliases: ['/resourcepools/{id}/'],
  doc: 'Manage a resource pool.',
  actions: [
    crud.read('Retrieve a resource pool', async ({ svc, path }) => renderPool(await pools.get(svc, poolKey(path.id)))),
    crud.update('Update a resource pool', async ({ svc, user, path, args }) =>
      renderPool(await pools.update(svc, user, await pools.get(svc, poolKey(path.id)), { name: args.str('name'), description: args.str('description') })),
    nameParams('resource pool', false), true),
    crud.delete('Delete a resource pool', async ({ svc, user, path }) => { await pools.delete(svc, user, await pools.get(svc, poolKey(path.id))); return noContent; }, [], true),
  ],
};
