/** DomainsHandler, DomainHandler: `domains/` and `domains/{id}/` (id or name). The default domain is `maas` (id 0). */
import { createDomain, deleteDomain, domainRecords, getDomain, listDomains, setDefaultDomain, updateDomain } from '../../../../services/network/domains.ts';
import { crud, op, p, type HandlerDecl } from '../../declare.ts';
import { renderDomain } from '../../render/common.ts';
import { noContent } from '../../replies.ts';

const params = (nameRequired: boolean) => [
  p.str('name', 'Name of the domain.', nameRequired),
  p.bool('authoritative', 'Class type of the domain.'),
  p.int('ttl', 'The default TTL for this domain.'),
];

export const DomainsHandler: HandlerDecl = {
  name: 'DomainsHandler',
  path: '/domains/',
  doc: 'Manage domains.',
  actions: [
    crud.read('List all domains', async ({ svc }) => (await listDomains(svc)).map((d) => renderDomain(d.row, d.records))),
    crud.create('Create a domain', async ({ svc, user, args }) =>
      renderDomain(await createDomain(svc, user, { name: args.str('name'), authoritative: args.bool('authoritative'), ttl: args.int('ttl') })), params(true), true),
  ],
};

export const DomainHandler: HandlerDecl = {
  name: 'DomainHandler',
  path: '/domains/{id}/',
  doc: 'Manage domain.',
  actions: [
    crud.read('Read domain', async ({ svc, path }) => {
      const d = await getDomain(svc, path.id);
      return renderDomain(d, await domainRecords(svc, d.id));
    }),
    crud.update('Update a domain', async ({ svc, user, path, args }) => {
      const d = await updateDomain(svc, user, path.id, { name: args.str('name'), authoritative: args.bool('authoritative'), ttl: args.int('ttl') });
      return renderDomain(d, await domainRecords(svc, d.id));
    }, params(false), true),
    crud.delete('Delete domain', async ({ svc, user, path }) => { await deleteDomain(svc, user, path.id); return noContent; }, [], true),
    op('POST', 'set_default', 'Set domain as default', async ({ svc, user, path }) => {
      const d = await setDefaultDomain(svc, user, path.id);
      return renderDomain(d, await domainRecords(svc, d.id));
    }, [], true),
  ],
};
