/** IPRangesHandler, IPRangeHandler: dynamic and reserved ranges of subnets. */
import { networkTopology } from '../../../../services/network/fabrics.ts';
import { createRange, deleteRange, getRange, listRanges, updateRange } from '../../../../services/network/ipranges.ts';
import { crud, p, type HandlerDecl } from '../../declare.ts';
import { renderIpRange } from '../../render/network.ts';
import { noContent } from '../../replies.ts';

export const IPRangesHandler: HandlerDecl = {
  name: 'IPRangesHandler',
  path: '/ipranges/',
  doc: 'Manage IP ranges.',
  actions: [
    crud.read('List all IP ranges', async ({ svc }) => {
      const [ranges, topo] = await Promise.all([listRanges(svc), networkTopology(svc)]);
      return ranges.map((r) => renderIpRange(r, topo));
    }),
    crud.create('Create an IP range', async ({ svc, user, args }) => renderIpRange(await createRange(svc, user, {
      type: args.str('type'), start_ip: args.str('start_ip'), end_ip: args.str('end_ip'), subnet: args.str('subnet'), comment: args.str('comment'),
    }), await networkTopology(svc)), [
      p.str('type', 'Type of this range. (\'dynamic\' or \'reserved\')', true),
      p.str('start_ip', 'Start IP address of this range (inclusive).', true),
      p.str('end_ip', 'End IP address of this range (inclusive).', true),
      p.str('subnet', 'Subnet associated with this range (id or specifier).', true),
      p.str('comment', 'A description of this range.'),
    ]),
  ],
};

export const IPRangeHandler: HandlerDecl = {
  name: 'IPRangeHandler',
  path: '/ipranges/{id}/',
  doc: 'Manage IP range.',
  actions: [
    crud.read('Read an IP range', async ({ svc, path }) => renderIpRange(await getRange(svc, path.id), await networkTopology(svc))),
    crud.update('Update an IP range', async ({ svc, user, path, args }) => renderIpRange(await updateRange(svc, user, path.id, {
      start_ip: args.str('start_ip'), end_ip: args.str('end_ip'), comment: args.str('comment'),
    }), await networkTopology(svc)), [
      p.str('start_ip', 'Start IP address of this range (inclusive).'),
      p.str('end_ip', 'End IP address of this range (inclusive).'),
      p.str('comment', 'A description of this range.'),
    ]),
    crud.delete('Delete an IP range', async ({ svc, user, path }) => { await deleteRange(svc, user, path.id); return noContent; }),
  ],
};
