/** DNSResourcesHandler, DNSResourceHandler: names (fqdn, or name + domain) with addresses and a TTL. */
import {
  createDnsResource, deleteDnsResource, getDnsResource, listDnsResources, updateDnsResource, type DnsFields,
} from '../../../../services/network/dnsresources.ts';
import type { Args } from '../../args.ts';
import { crud, p, type HandlerDecl } from '../../declare.ts';
import { renderDnsResources } from '../../render/network-addresses.ts';
import { noContent } from '../../replies.ts';

const params = (required: boolean) => [
  p.str('fqdn', 'Hostname (with domain) for the dnsresource. Either fqdn or (name, domain) must be specified. Fqdn is ignored if either name or domain is given.'),
  p.str('name', 'Hostname (without domain).', required),
  p.str('domain', 'Domain (name or id).', required),
  p.str('address_ttl', 'Default TTL for entries in this zone.'),
  p.list('ip_addresses', 'Address (ip or id) to assign to the dnsresource. This creates an A or AAAA record, for each of the supplied ip_addresses, IPv4 or IPv6, respectively. Space-separated.'),
];

const fields = (args: Args): DnsFields => {
  const name = args.str('name');
  const domain = args.str('domain');
  return {
    // MAAS: fqdn is ignored when name or domain is given.
    fqdn: name === undefined && domain === undefined ? args.str('fqdn') : undefined, name, domain,
    address_ttl: args.str('address_ttl'), ip_addresses: args.has('ip_addresses') ? args.list('ip_addresses') : undefined,
  };
};

export const DNSResourcesHandler: HandlerDecl = {
  name: 'DNSResourcesHandler',
  path: '/dnsresources/',
  doc: 'Manage dnsresources.',
  actions: [
    crud.read('List resources', async ({ svc, args }) => renderDnsResources(await listDnsResources(svc, {
      fqdn: args.str('fqdn'), name: args.str('name'), domain: args.str('domain'), rrtype: args.str('rrtype'), all: args.bool('all'),
    })), [
      p.str('fqdn', 'Restricts the listing to entries for the fqdn.'),
      p.str('domain', 'Restricts the listing to entries for the domain.'),
      p.str('name', 'Restricts the listing to entries of the given name.'),
      p.str('rrtype', 'Restricts the listing to entries which have records of the given rrtype.'),
      p.bool('all', 'Include implicit DNS records created for nodes registered in MAAS if true.'),
    ]),
    crud.create('Create a DNS resource', async ({ svc, user, args }) => {
      const f = fields(args);
      return renderDnsResources(await createDnsResource(svc, user, f))[0];
    }, params(false), true),
  ],
};

export const DNSResourceHandler: HandlerDecl = {
  name: 'DNSResourceHandler',
  path: '/dnsresources/{id}/',
  doc: 'Manage dnsresource.',
  actions: [
    crud.read('Read a DNS resource', async ({ svc, path }) => renderDnsResources(await getDnsResource(svc, path.id))[0]),
    crud.update('Update a DNS resource', async ({ svc, user, path, args }) =>
      renderDnsResources(await updateDnsResource(svc, user, path.id, fields(args)))[0], params(false), true),
    crud.delete('Delete a DNS resource', async ({ svc, user, path }) => { await deleteDnsResource(svc, user, path.id); return noContent; }, [], true),
  ],
};
