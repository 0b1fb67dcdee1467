/** StaticRoutesHandler, StaticRouteHandler. */
import { networkTopology } from '../../../../services/network/fabrics.ts';
import { createRoute, deleteRoute, getRoute, listRoutes, updateRoute, type RouteFields } from '../../../../services/network/static-routes.ts';
import type { Args } from '../../args.ts';
import { crud, p, type HandlerDecl } from '../../declare.ts';
import { renderStaticRoute } from '../../render/network.ts';
import { noContent } from '../../replies.ts';

const params = (required: boolean) => [
  p.str('source', 'Source subnet for the route.', required),
  p.str('destination', 'Destination subnet for the route.', required),
  p.str('gateway_ip', 'IP address of the gateway on the source subnet.', required),
  p.int('metric', 'Weight of the route on a deployed machine.'),
];
const fields = (args: Args): RouteFields =>
  ({ source: args.str('source'), destination: args.str('destination'), gateway_ip: args.str('gateway_ip'), metric: args.int('metric') });

export const StaticRoutesHandler: HandlerDecl = {
  name: 'StaticRoutesHandler',
  path: '/static-routes/',
  doc: 'Manage static routes.',
  actions: [
    crud.read('List static routes', async ({ svc }) => {
      const [routes, topo] = await Promise.all([listRoutes(svc), networkTopology(svc)]);
      return routes.map((r) => renderStaticRoute(r, topo));
    }),
    crud.create('Create a static route', async ({ svc, user, args }) => renderStaticRoute(await createRoute(svc, user, fields(args)), await networkTopology(svc)), params(true), true),
  ],
};

export const StaticRouteHandler: HandlerDecl = {
  name: 'StaticRouteHandler',
  path: '/static-routes/{id}/',
  doc: 'Manage static route.',
  actions: [
    crud.read('Get a static route', async ({ svc, path }) => renderStaticRoute(await getRoute(svc, path.id), await networkTopology(svc))),
    crud.update('Update a static route', async ({ svc, user, path, args }) =>
      renderStaticRoute(await updateRoute(svc, user, path.id, fields(args)), await networkTopology(svc)), params(false), true),
    crud.delete('Delete static route', async ({ svc, user, path }) => { await deleteRoute(svc, user, path.id); return noContent; }, [], true),
  ],
};
