/**
 * What one rack must serve over DHCP, read from the store and derived by the domain
 * (`deriveDhcpServices`): the VLANs where it is primary or secondary, their managed subnets,
 * dynamic pools, host reservations and boot rules. The region pushes the result to the rack over
 * its link whenever it changes; `dhcpFingerprint` is the cheap change check.
 */
import { deriveDhcpServices, type DhcpHostInput, type DhcpRack, type DhcpRackService } from '../../domain/network/dhcp-service.ts';
import { notFound } from '../../domain/errors.ts';
import type { Fabric, IpRange, Subnet, Vlan } from '../../domain/network/types.ts';
import type { Queryable } from '../../store/db.ts';
import { loadTopology, RACK_NODE_TYPES } from '../../store/repos/network.ts';
import { rangesRepo } from '../../store/repos/network-subnets.ts';
import { getConfig } from '../config.ts';
import type { ServiceContext } from '../context.ts';

interface RackAddressRow { system_id: string; hostname: string; iface: string; vlan_id: number | null; ip: string | null; cidr: string | null }
interface HostRow { ip: string; mac: string; alloc_type: number; hostname: string; iface: string }

const list = (v: unknown): string[] => (Array.isArray(v) ? v.map(String) : typeof v === 'string' && v.trim() ? v.split(/[\s,]+/).filter(Boolean) : []);

async function racks(q: Queryable): Promise<DhcpRack[]> {
  const rows = await q.query<RackAddressRow>(
    `select n.system_id, n.hostname, i.name as iface, i.vlan_id, a.ip, s.cidr
       from nodes n
       join interfaces i on i.node_id = n.id
       left join static_ip_addresses a on a.interface_id = i.id and a.ip is not null
       left join subnets s on s.id = a.subnet_id
      where n.node_type = any($1::int[])
      order by n.system_id, i.name, a.id`, [RACK_NODE_TYPES]);
  const byRack = new Map<string, DhcpRack>();
  for (const r of rows) {
    let rack = byRack.get(r.system_id);
    if (!rack) byRack.set(r.system_id, (rack = { system_id: r.system_id, hostname: r.hostname, interfaces: [] }));
    let iface = rack.interfaces.find((i) => i.name === r.iface);
    if (!iface) rack.interfaces.push((iface = { name: r.iface, vlan_id: r.vlan_id, addresses: [] }));
    if (r.ip) iface.addresses.push(r.cidr ? `${r.ip}/${r.cidr.split('/')[1]}` : r.ip);
  }
  return [...byRack.values()];
}

/** Addresses held by machines' (and devices') interfaces that DHCP must hand out as fixed addresses. */
async function hosts(q: Queryable): Promise<DhcpHostInput[]> {
  const rows = await q.query<HostRow>(
    `select a.ip, coalesce(a.mac_address, i.mac_address) as mac, a.alloc_type, n.hostname, i.name as iface
       from static_ip_addresses a
       join interfaces i on i.id = a.interface_id
       join nodes n on n.id = i.node_id
      where a.ip is not null and coalesce(a.mac_address, i.mac_address) is not null
        and n.node_type <> all($1::int[])
      order by a.id`, [RACK_NODE_TYPES]);
  return rows.map((r) => ({ ip: r.ip, mac: r.mac, alloc_type: r.alloc_type as DhcpHostInput['alloc_type'], hostname: r.hostname, interface_name: r.iface }));
}

async function derivationInput(q: Queryable) {
  const topo = await loadTopology(q);
  const fabrics: Fabric[] = [...topo.fabrics.values()].map((f) => ({ id: f.id, name: f.name, description: f.description, class_type: f.class_type }));
  const vlans: Vlan[] = [...topo.vlans.values()].map((v) => ({
    id: v.id, fabric_id: v.fabric_id, vid: v.vid, name: v.name, description: v.description, mtu: v.mtu, dhcp_on: v.dhcp_on,
    external_dhcp: v.external_dhcp, primary_rack: v.primary_rack, secondary_rack: v.secondary_rack, relay_vlan_id: v.relay_vlan_id, space_id: v.space_id,
  }));
  const subnets: Subnet[] = [...topo.subnets.values()].map((s) => ({
    id: s.id, name: s.name, description: s.description, vlan_id: s.vlan_id, cidr: s.cidr, gateway_ip: s.gateway_ip, dns_servers: s.dns_servers,
    managed: s.managed, allow_dns: s.allow_dns, allow_proxy: s.allow_proxy, active_discovery: s.active_discovery,
    rdns_mode: s.rdns_mode as Subnet['rdns_mode'], disabled_boot_architectures: s.disabled_boot_architectures,
    ipv6_address_mode: s.ipv6_address_mode as Subnet['ipv6_address_mode'],
  }));
  const ranges: IpRange[] = (await rangesRepo.list(q)).map((r) => ({ id: r.id, subnet_id: r.subnet_id, type: r.type, start_ip: r.start_ip, end_ip: r.end_ip, comment: r.comment, user: null }));
  const domain = (await q.query<{ name: string }>('select name from domains where is_default limit 1'))[0]?.name ?? 'maas';
  const ntpExternal = list(await getConfig(q, 'ntp_servers'));
  const ntpOnly = (await getConfig(q, 'ntp_external_only')) === true;
  return {
    fabrics, vlans, subnets, ranges, hosts: await hosts(q), racks: await racks(q), domain,
    // MAAS: racks serve NTP themselves (and point clients at themselves) unless external-only is set.
    ntpServers: ntpOnly ? ntpExternal : [],
    // Plinth runs no DNS server of its own yet: subnets with allow_dns also get the upstream resolvers.
    dnsServers: list(await getConfig(q, 'upstream_dns')),
  };
}

/** The DHCP service of one rack (404 when no such rack). */
export async function dhcpServiceForRack(ctx: ServiceContext, rackSystemId: string, q: Queryable = ctx.db): Promise<DhcpRackService> {
  const input = await derivationInput(q);
  const rack = input.racks.find((r) => r.system_id === rackSystemId);
  if (!rack) {
    const exists = await q.query('select 1 from nodes where system_id = $1 and node_type = any($2::int[])', [rackSystemId, RACK_NODE_TYPES]);
    if (!exists.length) throw notFound('No RackController matches the given query.');
  }
  const only = { ...input, racks: rack ? [rack, ...input.racks.filter((r) => r !== rack)] : [{ system_id: rackSystemId, hostname: '', interfaces: [] }, ...input.racks] };
  return deriveDhcpServices(only)[0];
}

/** A stable text for change detection: equal fingerprints mean an identical service. */
export const dhcpFingerprint = (svc: DhcpRackService): string => JSON.stringify(svc);
