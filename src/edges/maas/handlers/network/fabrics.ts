/** FabricsHandler, FabricHandler: `fabrics/` and `fabrics/{id}/` (id or name). */
import { createFabric, deleteFabric, getFabricBySpec, networkTopology, updateFabric } from '../../../../services/network/fabrics.ts';
import { crud, p, type HandlerDecl } from '../../declare.ts';
import { renderFabric } from '../../render/network.ts';
import { noContent } from '../../replies.ts';

const params = [
  p.str('name', 'Name of the fabric.'),
  p.str('description', 'Description of the fabric.'),
  p.str('class_type', 'Class type of the fabric.'),
];

export const FabricsHandler: HandlerDecl = {
  name: 'FabricsHandler',
  path: '/fabrics/',
  doc: 'Manage fabrics.',
  actions: [
    crud.read('List all fabrics', async ({ svc }) => {
      const topo = await networkTopology(svc);
      return [...topo.fabrics.values()].map((f) => renderFabric(f, topo));
    }),
    crud.create('Create a fabric', async ({ svc, user, args }) => {
      const f = await createFabric(svc, user, { name: args.str('name'), description: args.str('description'), class_type: args.str('class_type') });
      return renderFabric(f, await networkTopology(svc));
    }, params, true),
  ],
};

export const FabricHandler: HandlerDecl = {
  name: 'FabricHandler',
  path: '/fabrics/{id}/',
  doc: 'Manage fabric.',
  actions: [
    crud.read('Read a fabric', async ({ svc, path }) => renderFabric(await getFabricBySpec(svc, path.id), await networkTopology(svc))),
    crud.update('Update fabric', async ({ svc, user, path, args }) => {
      const f = await updateFabric(svc, user, path.id, { name: args.str('name'), description: args.str('description'), class_type: args.str('class_type') });
      return renderFabric(f, await networkTopology(svc));
    }, params, true),
    crud.delete('Delete a fabric', async ({ svc, user, path }) => { await deleteFabric(svc, user, path.id); return noContent; }, [], true),
  ],
};
