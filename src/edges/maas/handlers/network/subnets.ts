/**
 * SubnetsHandler, SubnetHandler. `subnets/{id}/` takes MAAS subnet specifiers: an id, a CIDR (also as
 * `subnets/10.0.0.0/24/`), or `cidr:`, `name:`, `id:`, `vlan:`, `vid:`, `fabric:`, `space:`, `ip:`.
 */
import { networkTopology } from '../../../../services/network/fabrics.ts';
import { subnetAddresses, subnetReservedRanges, subnetStatistics, subnetUnreservedRanges } from '../../../../services/network/subnet-queries.ts';
import { createSubnet, deleteSubnet, getSubnetBySpec, listSubnets, updateSubnet, type SubnetFields } from '../../../../services/network/subnets.ts';
import type { Args } from '../../args.ts';
import { crud, op, p, type HandlerDecl, type ParamSpec } from '../../declare.ts';
import { renderSubnetAddress } from '../../render/network-addresses.ts';
import { renderSubnet } from '../../render/network.ts';
import { noContent } from '../../replies.ts';

const params = (cidrRequired: boolean): ParamSpec[] => [
  p.str('cidr', 'The network CIDR for this subnet.', cidrRequired),
  p.str('name', 'The name of the subnet (defaults to the CIDR).'),
  p.str('description', 'The subnet\'s description.'),
  p.str('vlan', 'VLAN this subnet belongs to. Defaults to the default VLAN for the provided fabric or defaults to the default VLAN in the default fabric (if unspecified).'),
  p.str('fabric', 'Fabric for the subnet. Defaults to the fabric the provided VLAN belongs to, or defaults to the default fabric.'),
  p.int('vid', 'VID of the VLAN this subnet belongs to. Only used when vlan is not provided. Picks the VLAN with this VID in the provided fabric or the default fabric if one is not given.'),
  p.str('gateway_ip', 'The gateway IP address for this subnet.'),
  p.int('rdns_mode', 'How reverse DNS is handled for this subnet. One of: 0 Disabled, 1 Enabled, 2 RFC2317 (default).'),
  p.bool('allow_dns', 'Configure MAAS DNS to allow DNS resolution from this subnet. \'0\' (false) or \'1\' (true).'),
  p.bool('allow_proxy', 'Configure maas-proxy to allow requests from this subnet. \'0\' (false) or \'1\' (true).'),
  p.list('dns_servers', 'Comma-separated list of DNS servers for this subnet.'),
  p.bool('active_discovery', 'Allow MAAS to actively scan this subnet. \'0\' (false) or \'1\' (true).'),
  p.bool('managed', 'In MAAS 2.0+, all subnets are assumed to be managed by default. Only managed subnets will allow DHCP to be enabled on their related dynamic ranges. (Thus, dynamic ranges become "informational only"; an indicator that another DHCP server is currently handling them, or that MAAS will handle them when the subnet is enabled for management.) Managed subnets do not allow IP allocation by default. The meaning of a "reserved" IP range is reversed for an unmanaged subnet. (That is, for managed subnets, "reserved" means "MAAS cannot allocate any IP address within this reserved block". For unmanaged subnets, "reserved" means "MAAS must allocate IP addresses only from reserved IP ranges."'),
  p.list('disabled_boot_architectures', 'A comma or space separated list of boot architectures which will not be responded to by isc-dhcpd. Values may be the boot architecture name or octet.'),
  p.str('ipv6_address_mode', 'IPv6 subnets only (a Plinth addition): dhcpv6-stateful (default, as MAAS: DHCPv6 hands out addresses from dynamic ranges), dhcpv6-stateless (SLAAC plus DHCPv6 options), or slaac (router advertisements only).'),
];

const fields = (args: Args): SubnetFields => ({
  cidr: args.str('cidr'), name: args.str('name'), description: args.str('description'), vlan: args.str('vlan'), fabric: args.str('fabric'),
  vid: args.int('vid'), gateway_ip: args.str('gateway_ip'), rdns_mode: args.int('rdns_mode'), allow_dns: args.bool('allow_dns'),
  allow_proxy: args.bool('allow_proxy'), dns_servers: args.has('dns_servers') ? args.list('dns_servers') : undefined,
  active_discovery: args.bool('active_discovery'), managed: args.bool('managed'),
  disabled_boot_architectures: args.has('disabled_boot_architectures') ? args.list('disabled_boot_architectures') : undefined,
  ipv6_address_mode: args.str('ipv6_address_mode'),
});

export const SubnetsHandler: HandlerDecl = {
  name: 'SubnetsHandler',
  path: '/subnets/',
  doc: 'Manage subnets.',
  actions: [
    crud.read('List all subnets', async ({ svc }) => {
      const [subnets, topo] = await Promise.all([listSubnets(svc), networkTopology(svc)]);
      return subnets.map((s) => renderSubnet(s, topo));
    }),
    crud.create('Create a subnet', async ({ svc, user, args }) => renderSubnet(await createSubnet(svc, user, fields(args)), await networkTopology(svc)), params(true), true),
  ],
};

const flag = (args: Args, name: string) => (args.bool(name) ?? true);

export const SubnetHandler: HandlerDecl = {
  name: 'SubnetHandler',
  path: '/subnets/{id}/',
  paramPatterns: { id: '[.: \\w-]+(?:/\\d\\d?\\d?)?' },
  doc: 'Manage subnet.',
  actions: [
    crud.read('Get a subnet', async ({ svc, path }) => renderSubnet(await getSubnetBySpec(svc, path.id), await networkTopology(svc))),
    crud.update('Update a subnet', async ({ svc, user, path, args }) =>
      renderSubnet(await updateSubnet(svc, user, path.id, fields(args)), await networkTopology(svc)), params(false), true),
    crud.delete('Delete a subnet', async ({ svc, user, path, args }) => { await deleteSubnet(svc, user, path.id, args.bool('force') ?? false); return noContent; },
      [p.bool('force', 'Delete the subnet even if addresses in it are still assigned (their links are removed).')], true),
    op('GET', 'reserved_ip_ranges', 'Lists IP ranges currently reserved in the subnet.', async ({ svc, path }) =>
      subnetReservedRanges(svc, await getSubnetBySpec(svc, path.id))),
    op('GET', 'unreserved_ip_ranges', 'Lists IP ranges currently unreserved in the subnet.', async ({ svc, path }) =>
      subnetUnreservedRanges(svc, await getSubnetBySpec(svc, path.id))),
    op('GET', 'statistics', 'Returns statistics for the specified subnet, including: num_available, largest_available, num_unavailable, total_addresses, usage, usage_string, available_string, first_address, last_address, ip_version.', async ({ svc, path, args }) =>
      subnetStatistics(svc, await getSubnetBySpec(svc, path.id), { includeRanges: args.bool('include_ranges') ?? false, includeSuggestions: args.bool('include_suggestions') ?? false }), [
      p.bool('include_ranges', 'If \'1\', includes detailed information about the usage of this range.'),
      p.bool('include_suggestions', 'If \'1\', includes the suggested gateway and dynamic range for this subnet, if it were to be configured.'),
    ]),
    op('GET', 'ip_addresses', 'Returns a summary of IP addresses assigned to this subnet.', async ({ svc, path, args }) => {
      const o = { withUsername: flag(args, 'with_username'), withSummary: flag(args, 'with_summary'), withNodeSummary: flag(args, 'with_node_summary') };
      return (await subnetAddresses(svc, await getSubnetBySpec(svc, path.id))).map((a) => renderSubnetAddress(a, o));
    }, [
      p.bool('with_username', 'If \'0\', suppresses the display of usernames associated with each address. \'1\' by default.'),
      p.bool('with_summary', 'If \'0\', suppresses the display of nodes, BMCs, and and DNS records associated with each address. \'1\' by default.'),
      p.bool('with_node_summary', 'Deprecated. Use \'with_summary\'.'),
    ]),
  ],
};
