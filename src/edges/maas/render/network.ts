/** Fabric, VLAN, space, subnet, IP range and static route representations (maas-api-spec.md §10.2). */
import type { FabricRow, SpaceRow, SubnetRow, Topology, VlanRow } from '../../../store/repos/network.ts';
import type { IpRangeRow, StaticRouteRow } from '../../../store/repos/network-subnets.ts';
import { uri } from './common.ts';

/** MAAS renders a VLAN without a name by its role: `untagged` for vid 0, else the vid. */
export const vlanName = (v: Pick<VlanRow, 'name' | 'vid'>) => v.name || (v.vid === 0 ? 'untagged' : String(v.vid));

export const spaceName = (topo: Topology, spaceId: number | null) =>
  (spaceId === null ? undefined : topo.spaces.get(spaceId)?.name) ?? 'undefined';

export function renderVlan(v: VlanRow, topo: Topology, withRelay = true): Record<string, unknown> {
  const relay = withRelay && v.relay_vlan_id !== null ? topo.vlans.get(v.relay_vlan_id) : undefined;
  return {
    vid: v.vid, mtu: v.mtu, dhcp_on: v.dhcp_on, external_dhcp: v.external_dhcp,
    relay_vlan: relay ? renderVlan(relay, topo, false) : null,
    fabric: topo.fabrics.get(v.fabric_id)?.name ?? null, space: spaceName(topo, v.space_id),
    primary_rack: v.primary_rack, secondary_rack: v.secondary_rack, name: vlanName(v), id: v.id, fabric_id: v.fabric_id,
    resource_uri: uri(`/vlans/${v.id}/`),
  };
}

export function renderSubnet(s: SubnetRow, topo: Topology): Record<string, unknown> {
  const vlan = topo.vlans.get(s.vlan_id);
  return {
    name: s.name, description: s.description, vlan: vlan ? renderVlan(vlan, topo) : null, cidr: s.cidr, rdns_mode: s.rdns_mode,
    gateway_ip: s.gateway_ip, dns_servers: s.dns_servers, allow_dns: s.allow_dns, allow_proxy: s.allow_proxy,
    active_discovery: s.active_discovery, managed: s.managed, disabled_boot_architectures: s.disabled_boot_architectures,
    ...(s.ipv6_address_mode ? { ipv6_address_mode: s.ipv6_address_mode } : {}),
    id: s.id, space: spaceName(topo, vlan?.space_id ?? null), resource_uri: uri(`/subnets/${s.id}/`),
  };
}

export function renderFabric(f: FabricRow, topo: Topology) {
  const vlans = [...topo.vlans.values()].filter((v) => v.fabric_id === f.id).sort((a, b) => a.vid - b.vid);
  return { id: f.id, name: f.name, class_type: f.class_type, vlans: vlans.map((v) => renderVlan(v, topo)), resource_uri: uri(`/fabrics/${f.id}/`) };
}

/** The pseudo-space of VLANs without one (MAAS id -1, name "undefined"). */
export const UNDEFINED_SPACE: SpaceRow = { id: -1, name: 'undefined', description: '' };

export function renderSpace(sp: SpaceRow, topo: Topology) {
  const want = sp.id === -1 ? null : sp.id;
  const vlans = [...topo.vlans.values()].filter((v) => v.space_id === want);
  const ids = new Set(vlans.map((v) => v.id));
  const subnets = [...topo.subnets.values()].filter((s) => ids.has(s.vlan_id));
  return {
    id: sp.id, name: sp.name, description: sp.description, vlans: vlans.map((v) => renderVlan(v, topo)),
    subnets: subnets.map((s) => renderSubnet(s, topo)), resource_uri: uri(`/spaces/${sp.id}/`),
  };
}

/** A user as MAAS embeds one (UserHandler fields). */
export function renderUserRef(u: { username: string | null; user_email: string | null; user_is_superuser: boolean | null; user_is_local: boolean | null }) {
  if (u.username === null) return null;
  return {
    is_superuser: u.user_is_superuser ?? false, username: u.username, email: u.user_email ?? '', is_local: u.user_is_local ?? true,
    resource_uri: uri(`/users/${encodeURIComponent(u.username)}/`),
  };
}

export function renderIpRange(r: IpRangeRow, topo: Topology) {
  const subnet = topo.subnets.get(r.subnet_id);
  return {
    id: r.id, type: r.type, start_ip: r.start_ip, end_ip: r.end_ip, comment: r.comment, user: renderUserRef(r),
    subnet: subnet ? renderSubnet(subnet, topo) : null, resource_uri: uri(`/ipranges/${r.id}/`),
  };
}

export function renderStaticRoute(r: StaticRouteRow, topo: Topology) {
  const s = topo.subnets.get(r.source_subnet_id);
  const d = topo.subnets.get(r.destination_subnet_id);
  return {
    id: r.id, source: s ? renderSubnet(s, topo) : null, destination: d ? renderSubnet(d, topo) : null,
    gateway_ip: r.gateway_ip, metric: r.metric, resource_uri: uri(`/static-routes/${r.id}/`),
  };
}
