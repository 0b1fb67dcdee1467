/** SpacesHandler, SpaceHandler: `spaces/` and `spaces/{id}/` (id, name, or -1 for the "undefined" space). */
import { networkTopology } from '../../../../services/network/fabrics.ts';
import { createSpace, deleteSpace, getSpaceBySpec, listSpaces, updateSpace } from '../../../../services/network/spaces.ts';
import { crud, p, type HandlerDecl } from '../../declare.ts';
import { renderSpace, UNDEFINED_SPACE } from '../../render/network.ts';
import { noContent } from '../../replies.ts';

export const SpacesHandler: HandlerDecl = {
  name: 'SpacesHandler',
  path: '/spaces/',
  doc: 'Manage spaces.',
  actions: [
    crud.read('List all spaces', async ({ svc }) => {
      const [spaces, topo] = await Promise.all([listSpaces(svc), networkTopology(svc)]);
      return spaces.map((s) => renderSpace(s, topo));
    }),
    crud.create('Create a space', async ({ svc, user, args }) =>
      renderSpace(await createSpace(svc, user, { name: args.str('name'), description: args.str('description') }), await networkTopology(svc)), [
      p.str('name', 'The name of the new space.', true),
      p.str('description', 'A description of the new space.'),
    ], true),
  ],
};

export const SpaceHandler: HandlerDecl = {
  name: 'SpaceHandler',
  path: '/spaces/{id}/',
  doc: 'Manage space.',
  actions: [
    crud.read('Reads a space', async ({ svc, path }) => renderSpace((await getSpaceBySpec(svc, path.id)) ?? UNDEFINED_SPACE, await networkTopology(svc))),
    crud.update('Update space', async ({ svc, user, path, args }) =>
      renderSpace(await updateSpace(svc, user, path.id, { name: args.str('name'), description: args.str('description') }), await networkTopology(svc)), [
      p.str('name', 'The name of the new space.'),
      p.str('description', 'A description of the new space.'),
    ], true),
    crud.delete('Delete a space', async ({ svc, user, path }) => { await deleteSpace(svc, user, path.id); return noContent; }, [], true),
  ],
};
