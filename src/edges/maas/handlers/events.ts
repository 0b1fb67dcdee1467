import { queryEvents } from '../../../services/events.ts';
import { op, p, type HandlerDecl } from '../declare.ts';
import { renderEvent, uri } from '../render/common.ts';

export const EventsHandler: HandlerDecl = {
  name: 'EventsHandler',
  path: '/events/',
  doc: 'Retrieve filtered node events.',
  actions: [
    op('GET', 'query', 'List node events', async ({ svc, args }) => {
      const f = {
        hostname: args.list('hostname'), mac_address: args.list('mac_address'), id: args.list('id'),
        zone: args.str('zone'), agent_name: args.str('agent_name'), owner: args.str('owner'), level: args.str('level'),
        limit: args.int('limit'), before: args.int('before'), after: args.int('after'),
      };
      const events = await queryEvents(svc, f);
      const base = new URLSearchParams({ op: 'query' });
      for (const [k, v] of Object.entries(f)) {
        if (v === undefined || k === 'before' || k === 'after') continue;
        for (const x of Array.isArray(v) ? v : [v]) base.append(k, String(x));
      }
      const link = (k: 'before' | 'after', id: number | undefined) => {
        if (id === undefined) return null;
        const q = new URLSearchParams(base);
        q.set(k, String(id));
        return `${uri('/events/')}?${q.toString()}`;
      };
      return {
        count: events.length,
        events: events.map(renderEvent),
        next_uri: link('before', events.at(-1)?.id),
        prev_uri: link('after', events[0]?.id),
      };
    }, [
      p.list('hostname', 'An optional hostname. Only events relating to the node with the matching hostname will be returned.'),
      p.list('mac_address', 'An optional list of MAC addresses. Only nodes with matching MAC addresses will be returned.'),
      p.list('id', 'An optional list of system ids. Only nodes with matching system ids will be returned.'),
      p.str('zone', 'An optional name for a physical zone.'),
      p.str('agent_name', 'An optional agent name.'),
      p.str('owner', 'If specified, filters the list to show only events owned by the specified username.'),
      p.str('level', 'Desired minimum log level of returned events: AUDIT, DEBUG, INFO, WARNING, ERROR, CRITICAL. Defaults to INFO.'),
      p.int('limit', 'Optional number of events to return. Default 100. Maximum: 1000.'),
      p.int('before', 'Optional event id. Defines where to start returning older events.'),
      p.int('after', 'Optional event id. Defines where to start returning newer events.'),
    ]),
  ],
};
