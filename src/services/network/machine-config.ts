/**
 * A machine's network configuration as the installed system will get it: the stored interfaces,
 * links and topology turned into the domain's `NetworkConfigInput` and rendered as netplan v2
 * (what cloud-init and netplan read) and as ifupdown (Debian's classic). Auto links must have
 * their address already (deploy allocates them first).
 */
import { DEFAULT_BOND_PARAMS, DEFAULT_BRIDGE_PARAMS, type Interface, type InterfaceLink, type StaticRoute, type Subnet, type Vlan } from '../../domain/network/types.ts';
import { renderNetplan } from '../../domain/network/render/netplan.ts';
import { renderIfupdown } from '../../domain/network/render/ifupdown.ts';
import type { NetworkConfigInput } from '../../domain/network/render/plan.ts';
import type { Queryable } from '../../store/db.ts';
import type { InterfaceRow } from '../../store/repos/machines.ts';
import { interfacesRepo, loadMachinesNetwork } from '../../store/repos/network-interfaces.ts';
import { linkMode } from '../../store/repos/network-ips.ts';
import { routesRepo } from '../../store/repos/network-subnets.ts';

const num = (v: unknown, d: number) => (typeof v === 'number' ? v : d);

function toInterface(row: InterfaceRow, systemId: string, links: InterfaceLink[]): Interface {
  const p = row.params ?? {};
  const base = {
    id: row.id, node: systemId, name: row.name, mac_address: row.mac_address ?? '', enabled: row.enabled, vlan_id: row.vlan_id,
    parents: row.parent_ids ?? [], mtu: row.mtu, accept_ra: typeof p.accept_ra === 'boolean' ? p.accept_ra : null, tags: row.tags, links,
  };
  if (row.type === 'bond') {
    const d = DEFAULT_BOND_PARAMS;
    return {
      ...base, type: 'bond', bond: {
        mode: (p.bond_mode as typeof d.mode) ?? d.mode, miimon: num(p.bond_miimon, d.miimon), downdelay: num(p.bond_downdelay, d.downdelay),
        updelay: num(p.bond_updelay, d.updelay), lacp_rate: (p.bond_lacp_rate as typeof d.lacp_rate) ?? d.lacp_rate,
        xmit_hash_policy: (p.bond_xmit_hash_policy as typeof d.xmit_hash_policy) ?? d.xmit_hash_policy, num_grat_arp: num(p.bond_num_grat_arp, d.num_grat_arp),
      },
    };
  }
  if (row.type === 'bridge') {
    const d = DEFAULT_BRIDGE_PARAMS;
    return { ...base, type: 'bridge', bridge: { bridge_type: (p.bridge_type as typeof d.bridge_type) ?? d.bridge_type, stp: typeof p.bridge_stp === 'boolean' ? p.bridge_stp : d.stp, fd: num(p.bridge_fd, d.fd) } };
  }
  return { ...base, type: row.type === 'vlan' ? 'vlan' : 'physical' };
}

export async function machineNetworkInput(q: Queryable, node: { id: number; system_id: string; domain?: string | null }): Promise<NetworkConfigInput> {
  const rows = await interfacesRepo.byNode(q, node.id);
  const view = await loadMachinesNetwork(q, [node.id]);
  const interfaces = rows.map((r) => toInterface(r, node.system_id, (view.links.get(r.id) ?? []).map((a) => ({
    id: a.id, mode: linkMode(a), subnet_id: a.subnet_id, ip_address: a.ip,
  }))));
  const vlans: Vlan[] = [...view.topology.vlans.values()].map((v) => ({
    id: v.id, fabric_id: v.fabric_id, vid: v.vid, name: v.name, description: v.description, mtu: v.mtu, dhcp_on: v.dhcp_on, external_dhcp: v.external_dhcp,
    primary_rack: v.primary_rack, secondary_rack: v.secondary_rack, relay_vlan_id: v.relay_vlan_id, space_id: v.space_id,
  }));
  const subnets: Subnet[] = [...view.topology.subnets.values()].map((s) => ({
    id: s.id, name: s.name, description: s.description, vlan_id: s.vlan_id, cidr: s.cidr, gateway_ip: s.gateway_ip, dns_servers: s.dns_servers,
    managed: s.managed, allow_dns: s.allow_dns, allow_proxy: s.allow_proxy, active_discovery: s.active_discovery, rdns_mode: s.rdns_mode as Subnet['rdns_mode'],
    disabled_boot_architectures: s.disabled_boot_architectures, ipv6_address_mode: s.ipv6_address_mode as Subnet['ipv6_address_mode'],
  }));
  const staticRoutes: StaticRoute[] = (await routesRepo.list(q)).map((r) => ({ id: r.id, source_subnet_id: r.source_subnet_id, destination_subnet_id: r.destination_subnet_id, gateway_ip: r.gateway_ip, metric: r.metric }));
  const gw = (await q.query<{ gateway_link_ipv4_id: number | null; gateway_link_ipv6_id: number | null }>(
    'select gateway_link_ipv4_id, gateway_link_ipv6_id from nodes where id = $1', [node.id]))[0];
  return {
    interfaces, vlans, subnets, staticRoutes,
    defaultGateways: { ipv4: gw?.gateway_link_ipv4_id ?? null, ipv6: gw?.gateway_link_ipv6_id ?? null },
    searchDomains: node.domain ? [node.domain] : [],
  };
}

export async function machineNetworkConfig(q: Queryable, node: { id: number; system_id: string; domain?: string | null }) {
  const input = await machineNetworkInput(q, node);
  return { netplan: renderNetplan(input), ifupdown: renderIfupdown(input) };
}
