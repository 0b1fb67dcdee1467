/** IP address, subnet address listing and DNS resource representations (maas-api-spec.md §10.2). */
import type { AddressListing } from '../../../services/network/ipaddresses.ts';
import type { DnsListing } from '../../../services/network/dnsresources.ts';
import type { SubnetAddress } from '../../../services/network/subnet-queries.ts';
import type { IpAddressView } from '../../../store/repos/network-ips.ts';
import { isoTime, uri } from './common.ts';
import { allocTypeName, renderInterface } from './interface.ts';
import { renderSubnet, renderUserRef } from './network.ts';

/** `ipaddresses/` entries: the address, its holder and the interfaces it is linked to. */
export function renderIpAddresses(l: AddressListing) {
  return l.items.map((a) => {
    const own = l.interfaces.filter((i) => i.node_id === a.node_id);
    const subnet = a.subnet_id === null ? undefined : l.net.topology.subnets.get(a.subnet_id);
    return {
      alloc_type: a.alloc_type, alloc_type_name: allocTypeName(a.alloc_type), created: isoTime(a.created), ip: a.ip,
      owner: renderUserRef(a),
      interface_set: own.filter((i) => i.id === a.interface_id).map((i) => renderInterface(a.system_id ?? '', i, own, l.net)),
      subnet: subnet ? renderSubnet(subnet, l.net.topology) : null,
      resource_uri: uri('/ipaddresses/'),
    };
  });
}

export interface SubnetAddressOptions { withUsername: boolean; withSummary: boolean; withNodeSummary: boolean }

/** `subnets/{id}/?op=ip_addresses` entries. */
export function renderSubnetAddress({ view: a, dns }: SubnetAddress, o: SubnetAddressOptions) {
  const out: Record<string, unknown> = { ip: a.ip, alloc_type: a.alloc_type, created: isoTime(a.created), updated: isoTime(a.updated) };
  if (o.withUsername && a.username !== null) out.user = a.username;
  if (o.withSummary) {
    if (o.withNodeSummary && a.system_id !== null) {
      out.node_summary = {
        system_id: a.system_id, node_type: a.node_type, fqdn: `${a.hostname}.${a.domain_name}`, hostname: a.hostname,
        is_container: false, via: a.interface_name,
      };
    }
    if (dns.length) out.dns_records = dns.map((d) => ({ id: d.id, name: d.name, domain: d.domain }));
  }
  return out;
}

const renderNamedAddress = (a: IpAddressView) => ({
  id: a.id, ip: a.ip, alloc_type: a.alloc_type, alloc_type_name: allocTypeName(a.alloc_type), created: isoTime(a.created), owner: renderUserRef(a),
});

export function renderDnsResources(l: DnsListing) {
  const byId = new Map(l.addresses.map((a) => [a.id, a]));
  return l.resources.map(({ row, addressIds }) => {
    const fqdn = 'fqdn' in row ? row.fqdn : `${row.name}.${row.domain_name}`;
    return {
      id: row.id, fqdn, address_ttl: 'fqdn' in row ? null : row.address_ttl,
      ip_addresses: addressIds.map((id) => byId.get(id)).filter((a): a is IpAddressView => !!a).map(renderNamedAddress),
      resource_records: [],
      resource_uri: uri(`/dnsresources/${row.id}/`),
    };
  });
}
