/**
 * Interface representation (maas-api-spec.md §10.2) with its links, plus the machine-level network
 * fields derived from links: `ip_addresses` and `default_gateways`.
 */
import { ALLOC_TYPE_NAMES, type AllocType } from '../../../domain/network/types.ts';
import type { InterfaceRow } from '../../../store/repos/machines.ts';
import type { NetworkView } from '../../../store/repos/network-interfaces.ts';
import type { IpAddressRow } from '../../../store/repos/network-ips.ts';
import { linkMode } from '../../../services/network/common.ts';
import type { Topology } from '../../../store/repos/network.ts';
import { uri } from './common.ts';
import { renderSubnet, renderVlan } from './network.ts';

/** The VLAN of an interface from its joined columns, for callers without a topology. */
function joinedVlan(i: InterfaceRow) {
  if (i.vlan_id === null) return null;
  return {
    vid: i.vlan_vid, mtu: i.vlan_mtu, dhcp_on: i.vlan_dhcp_on, external_dhcp: null, relay_vlan: null, fabric: i.fabric_name,
    space: 'undefined', primary_rack: null, secondary_rack: null, name: i.vlan_name, id: i.vlan_id, fabric_id: i.fabric_id,
    resource_uri: uri(`/vlans/${i.vlan_id}/`),
  };
}

export function renderLink(l: IpAddressRow, topo: Topology) {
  const out: Record<string, unknown> = { id: l.id, mode: linkMode(l) };
  if (l.ip !== null) out.ip_address = l.ip;
  const subnet = l.subnet_id === null ? undefined : topo.subnets.get(l.subnet_id);
  if (subnet) out.subnet = renderSubnet(subnet, topo);
  return out;
}

export function renderInterface(systemId: string, i: InterfaceRow, all: InterfaceRow[], net?: NetworkView) {
  const byId = new Map(all.map((x) => [x.id, x.name]));
  const parentIds = i.parent_ids ?? [];
  const parents = parentIds.map((id) => byId.get(id) ?? String(id));
  const children = all.filter((c) => (c.parent_ids ?? []).includes(i.id)).map((c) => c.name);
  const vlanRow = net && i.vlan_id !== null ? net.topology.vlans.get(i.vlan_id) : undefined;
  const vlan = vlanRow && net ? renderVlan(vlanRow, net.topology) : joinedVlan(i);
  const links = net ? (net.links.get(i.id) ?? []).map((l) => renderLink(l, net.topology)) : [];
  return {
    system_id: systemId, id: i.id, name: i.name, type: i.type, vlan, mac_address: i.mac_address ?? '',
    parents, children, tags: i.tags, enabled: i.enabled, links, params: Object.keys(i.params).length ? i.params : '',
    discovered: null, effective_mtu: i.mtu ?? vlanRow?.mtu ?? i.vlan_mtu ?? 1500, vendor: i.vendor, product: i.product,
    firmware_version: i.firmware_version, link_connected: i.link_connected, interface_speed: i.interface_speed,
    link_speed: i.link_speed, numa_node: 0, sriov_max_vf: 0,
    resource_uri: uri(`/nodes/${systemId}/interfaces/${i.id}/`),
  };
}

/** A node's links in rendering order: boot interface first, then by interface id, then link id. */
function orderedLinks(interfaces: InterfaceRow[], net: NetworkView): IpAddressRow[] {
  const order = [...interfaces].sort((a, b) => Number(b.is_boot) - Number(a.is_boot) || a.id - b.id);
  return order.flatMap((i) => net.links.get(i.id) ?? []);
}

/**
 * MAAS `ip_addresses` of a node: its assigned static addresses (auto, static, user-reserved); when it
 * has none, the addresses DHCP leased or observation found.
 */
export function nodeIpAddresses(interfaces: InterfaceRow[], net: NetworkView | undefined): string[] {
  if (!net) return [];
  const links = orderedLinks(interfaces, net).filter((l) => l.ip !== null);
  const statics = links.filter((l) => l.alloc_type === 0 || l.alloc_type === 1 || l.alloc_type === 4);
  return (statics.length ? statics : links).map((l) => l.ip!);
}

const family = (cidr: string) => (cidr.includes(':') ? 6 : 4);

/**
 * MAAS `default_gateways`: per family, the link chosen with set_default_gateway when its subnet still has
 * a gateway; otherwise the first auto/static/dhcp link (boot interface first) on a subnet with one.
 */
export function defaultGateways(
  node: { gateway_link_ipv4_id?: number | null; gateway_link_ipv6_id?: number | null },
  interfaces: InterfaceRow[], net: NetworkView | undefined,
) {
  const none = { gateway_ip: null as string | null, link_id: null as number | null };
  if (!net) return { ipv4: none, ipv6: none };
  const links = orderedLinks(interfaces, net);
  const pick = (fam: 4 | 6, chosen: number | null | undefined) => {
    const usable = links.filter((l) => {
      const s = l.subnet_id === null ? undefined : net.topology.subnets.get(l.subnet_id);
      return !!s && !!s.gateway_ip && family(s.cidr) === fam && linkMode(l) !== 'link_up';
    });
    const link = usable.find((l) => l.id === chosen) ?? usable[0];
    return link ? { gateway_ip: net.topology.subnets.get(link.subnet_id!)!.gateway_ip, link_id: link.id } : none;
  };
  return { ipv4: pick(4, node.gateway_link_ipv4_id), ipv6: pick(6, node.gateway_link_ipv6_id) };
}

export const allocTypeName = (t: number) => ALLOC_TYPE_NAMES[t as AllocType] ?? 'Unknown';
