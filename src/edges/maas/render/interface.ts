/** Interface and VLAN representations (maas-api-spec.md §10.2). */
import type { InterfaceRow } from '../../../store/repos/machines.ts';
import { uri } from './common.ts';

export function renderVlan(i: Pick<InterfaceRow, 'vlan_id' | 'vlan_vid' | 'vlan_name' | 'vlan_mtu' | 'vlan_dhcp_on' | 'fabric_id' | 'fabric_name'>) {
  if (i.vlan_id === null) return null;
  return {
    vid: i.vlan_vid, mtu: i.vlan_mtu, dhcp_on: i.vlan_dhcp_on, external_dhcp: null, relay_vlan: null, fabric: i.fabric_name,
    space: 'undefined', primary_rack: null, secondary_rack: null, name: i.vlan_name, id: i.vlan_id, fabric_id: i.fabric_id,
    resource_uri: uri(`/vlans/${i.vlan_id}/`),
  };
}

export function renderInterface(systemId: string, i: InterfaceRow, all: InterfaceRow[]) {
  const byId = new Map(all.map((x) => [x.id, x.name]));
  const parents = ((i.params.parents as number[] | undefined) ?? []).map((id) => byId.get(id) ?? String(id));
  const children = all.filter((c) => ((c.params.parents as number[] | undefined) ?? []).includes(i.id)).map((c) => c.name);
  const vlan = renderVlan(i);
  return {
    system_id: systemId, id: i.id, name: i.name, type: i.type, vlan, mac_address: i.mac_address ?? '',
    parents, children, tags: i.tags, enabled: i.enabled, links: [], params: Object.keys(i.params).length ? i.params : '',
    discovered: null, effective_mtu: i.mtu ?? i.vlan_mtu ?? 1500, vendor: i.vendor, product: i.product,
    firmware_version: i.firmware_version, link_connected: i.link_connected, interface_speed: i.interface_speed,
    link_speed: i.link_speed, numa_node: 0, sriov_max_vf: 0,
    resource_uri: uri(`/nodes/${systemId}/interfaces/${i.id}/`),
  };
}
