/**
 * DHCP service derivation: from the network model, what each rack must serve.
 *
 * A rack serves a VLAN when the VLAN has `dhcp_on` and names the rack as primary or secondary.
 * It then also serves the subnets of every VLAN whose `relay_vlan_id` points at that VLAN (a DHCP
 * relay forwards their requests). Only managed subnets are served (MAAS: unmanaged subnets are
 * somebody else's DHCP). Per subnet the rack hands out (RFC 2132 option numbers):
 * - pools: the dynamic ranges;
 * - host reservations (fixed addresses) for AUTO, STICKY and USER_RESERVED assignments with a MAC;
 * - router (3) = the gateway; domain-name-servers (6); domain-name (15); domain-search (119,
 *   RFC 3397); ntp-servers (42); interface-mtu (26) = the subnet's VLAN MTU;
 * - next-server (siaddr) = the rack's own address on the subnet (on a relayed subnet, its
 *   address of that family on the serving VLAN);
 * - boot files per client architecture (dhcp-boot.ts).
 *
 * DNS servers follow MAAS: with `allow_dns`, the rack's address and then the region's DNS servers
 * (only those inside the subnet when it has no gateway), then the subnet's own `dns_servers`.
 * NTP: the configured external servers if any, else the rack and its failover peer.
 *
 * The result is plain data; the rack's DHCP server (src/edges/rack/dhcp) consumes it.
 */
import { bootRules, type BootRule, type BootSettings } from './dhcp-boot.ts';
import { formatIp, netmask, broadcastAddress, parseCidr, tryParseIp, type IpAddress, type IpNetwork, type IpVersion } from './ip.ts';
import { normalizeMac } from '../machine/mac.ts';
import { AllocType, type Fabric, type IpRange, type Subnet, type Vlan } from './types.ts';

export type { BootRule, BootSettings, BootMethod } from './dhcp-boot.ts';

/** A rack's interface as DHCP derivation needs it. Addresses may carry a prefix ("10.0.0.2/24"). */
import type { Ipv6AddressMode } from './types.ts';

export interface DhcpRackInterface {
  name: string;
  vlan_id: number | null;
  addresses: string[];
}

export interface DhcpRack {
  system_id: string;
  hostname: string;
  interfaces: DhcpRackInterface[];
}

/** An address assignment with the MAC of the interface holding it. */
export interface DhcpHostInput {
  ip: string;
  mac: string;
  alloc_type: AllocType;
  /** The node's hostname. */
  hostname: string;
  /** The interface name; the reservation is then named "<hostname>-<interface>". */
  interface_name?: string;
}

export interface DhcpServiceInput {
  fabrics: readonly Fabric[];
  vlans: readonly Vlan[];
  subnets: readonly Subnet[];
  ranges: readonly IpRange[];
  hosts: readonly DhcpHostInput[];
  racks: readonly DhcpRack[];
  /** The default DNS domain (MAAS: "maas"). */
  domain: string;
  /** Further search domains, after the default domain. */
  searchDomains?: readonly string[];
  /** External NTP servers; empty means "the racks serve NTP". */
  ntpServers?: readonly string[];
  /** The region's DNS servers, used on subnets with allow_dns. */
  dnsServers?: readonly string[];
  boot?: BootSettings;
}

export interface DhcpHost {
  /** Unique declaration name ("<hostname>-<interface>" with dots turned into dashes). */
  name: string;
  hostname: string;
  mac: string;
  ip: string;
}

export interface DhcpSubnetService {
  subnet_id: number;
  cidr: string;
  ip_version: IpVersion;
  /** The VLAN the subnet is on; differs from the served VLAN for relayed subnets. */
  vlan_id: number;
  relayed: boolean;
  netmask: string;
  /** IPv4 broadcast address; null for IPv6 and /31-/32. */
  broadcast: string | null;
  router: string | null;
  dns_servers: string[];
  domain_name: string;
  domain_search: string[];
  ntp_servers: string[];
  mtu: number;
  /** The rack's address clients talk to (TFTP/HTTP); null when the rack has none of this family. */
  next_server: string | null;
  pools: { start: string; end: string }[];
  /**
   * IPv6 only (null for IPv4): the address mode and the router-advertisement flags it implies
   * (RFC 4861 §4.2 M/O, §4.6.2 A). Pools are served only in dhcpv6-stateful mode.
   */
  ipv6: { mode: Ipv6AddressMode; managed: boolean; other_config: boolean; autonomous: boolean } | null;
  hosts: DhcpHost[];
  /** Empty when next_server is null (nothing to boot from). */
  boot: BootRule[];
}

export interface DhcpVlanService {
  vlan_id: number;
  vid: number;
  vlan_name: string;
  fabric_id: number;
  fabric_name: string;
  mtu: number;
  role: 'primary' | 'secondary';
  /** The failover partner, when the VLAN has a secondary rack. */
  peer: { rack: string; ipv4: string | null; ipv6: string | null } | null;
  /** The rack's interfaces on the VLAN that have an address: where to listen. */
  interfaces: string[];
  relay_vlans: { vlan_id: number; vid: number; fabric_id: number }[];
  subnets: DhcpSubnetService[];
}

export interface DhcpRackService {
  rack: string;
  hostname: string;
  /** Lease times in seconds: PXE clients (vendor class "PXEClient…") get the short one. */
  lease_seconds: { default: number; pxe: number };
  vlans: DhcpVlanService[];
  /** Things an operator should fix (a served VLAN without a rack address, an unknown peer…). */
  warnings: string[];
}

const HOST_ALLOC_TYPES = new Set<number>([AllocType.AUTO, AllocType.STICKY, AllocType.USER_RESERVED]);

interface RackAddr {
  iface: string;
  vlan: number | null;
  addr: IpAddress;
}

function rackAddresses(rack: DhcpRack): RackAddr[] {
  const out: RackAddr[] = [];
  for (const i of rack.interfaces) {
    for (const text of i.addresses) {
      const addr = tryParseIp(text.split('/')[0]);
      if (addr) out.push({ iface: i.name, vlan: i.vlan_id, addr });
    }
  }
  return out;
}

const inNet = (net: IpNetwork, a: IpAddress) => a.version === net.version && a.value >= net.network && a.value <= net.network + (1n << BigInt((net.version === 4 ? 32 : 128) - net.prefix)) - 1n;

const unique = (xs: string[]) => [...new Set(xs)];

function firstOnVlan(addrs: RackAddr[], vlanId: number, version: IpVersion, net?: IpNetwork): IpAddress | null {
  const onVlan = addrs.filter((a) => a.vlan === vlanId && a.addr.version === version);
  return (net ? onVlan.find((a) => inNet(net, a.addr)) : onVlan[0])?.addr ?? null;
}

const cmpNet = (a: IpNetwork, b: IpNetwork) => (a.version !== b.version ? a.version - b.version : a.network < b.network ? -1 : a.network > b.network ? 1 : a.prefix - b.prefix);

/** Everything each rack in `input.racks` must serve, in a deterministic order. */
export function deriveDhcpServices(input: DhcpServiceInput): DhcpRackService[] {
  return input.racks.map((rack) => deriveForRack(input, rack));
}

function deriveForRack(input: DhcpServiceInput, rack: DhcpRack): DhcpRackService {
  const warnings: string[] = [];
  const mine = rackAddresses(rack);
  const served = input.vlans
    .filter((v) => v.dhcp_on && (v.primary_rack === rack.system_id || v.secondary_rack === rack.system_id))
    .sort((a, b) => a.fabric_id - b.fabric_id || a.vid - b.vid || a.id - b.id);
  const vlans = served.map((vlan) => deriveVlan(input, rack, mine, vlan, warnings));
  return { rack: rack.system_id, hostname: rack.hostname, lease_seconds: { default: 600, pxe: 30 }, vlans, warnings };
}

function deriveVlan(input: DhcpServiceInput, rack: DhcpRack, mine: RackAddr[], vlan: Vlan, warnings: string[]): DhcpVlanService {
  const fabric = input.fabrics.find((f) => f.id === vlan.fabric_id);
  const vlanLabel = `VLAN ${vlan.vid} (${vlan.name}) on ${fabric?.name ?? `fabric ${vlan.fabric_id}`}`;
  const role = vlan.primary_rack === rack.system_id ? 'primary' : 'secondary';
  const relays = input.vlans.filter((v) => v.relay_vlan_id === vlan.id).sort((a, b) => a.id - b.id);
  const vlanById = new Map(input.vlans.map((v) => [v.id, v]));
  const interfaces = unique(mine.filter((a) => a.vlan === vlan.id).map((a) => a.iface)).sort();
  if (interfaces.length === 0) warnings.push(`Rack ${rack.hostname} has no interface with an address on ${vlanLabel}; it cannot serve DHCP there.`);

  let peer: DhcpVlanService['peer'] = null;
  if (vlan.secondary_rack) {
    const peerId = role === 'primary' ? vlan.secondary_rack : vlan.primary_rack!;
    const peerRack = input.racks.find((r) => r.system_id === peerId);
    if (!peerRack) warnings.push(`Failover peer ${peerId} of ${vlanLabel} is not a known rack.`);
    const peerAddrs = peerRack ? rackAddresses(peerRack) : [];
    const pick = (v: IpVersion) => {
      const a = firstOnVlan(peerAddrs, vlan.id, v);
      return a ? formatIp(a) : null;
    };
    peer = { rack: peerId, ipv4: pick(4), ipv6: pick(6) };
  }

  const subnetVlans = [vlan, ...relays];
  const candidates = input.subnets
    .filter((s) => subnetVlans.some((v) => v.id === s.vlan_id))
    .map((s) => ({ s, net: parseCidr(s.cidr, { strict: false }) }))
    .sort((a, b) => cmpNet(a.net, b.net));
  for (const { s } of candidates.filter((c) => !c.s.managed)) {
    warnings.push(`Subnet ${s.cidr} on ${vlanLabel} is unmanaged; Plinth does not serve DHCP on it.`);
  }
  const subnets: DhcpSubnetService[] = [];
  for (const { s, net } of candidates.filter((c) => c.s.managed)) {
    const relayed = s.vlan_id !== vlan.id;
    // Prefer the rack's address inside the subnet; a relayed subnet has none, so any of the family.
    const next = firstOnVlan(mine, vlan.id, net.version, net) ?? firstOnVlan(mine, vlan.id, net.version);
    if (!next) warnings.push(`Rack ${rack.hostname} has no IPv${net.version} address on ${vlanLabel} to serve ${s.cidr} from; clients there cannot network-boot.`);
    const peerNext = peer ? (net.version === 4 ? peer.ipv4 : peer.ipv6) : null;
    subnets.push(deriveSubnet(input, s, net, relayed, next, peerNext, vlanById.get(s.vlan_id)?.mtu ?? vlan.mtu, warnings));
  }
  return {
    vlan_id: vlan.id,
    vid: vlan.vid,
    vlan_name: vlan.name,
    fabric_id: vlan.fabric_id,
    fabric_name: fabric?.name ?? '',
    mtu: vlan.mtu,
    role,
    peer,
    interfaces,
    relay_vlans: relays.map((v) => ({ vlan_id: v.id, vid: v.vid, fabric_id: v.fabric_id })),
    subnets,
  };
}

function deriveSubnet(
  input: DhcpServiceInput,
  s: Subnet,
  net: IpNetwork,
  relayed: boolean,
  next: IpAddress | null,
  peerNext: string | null,
  mtu: number,
  warnings: string[],
): DhcpSubnetService {
  const sameFamily = (t: string) => tryParseIp(t)?.version === net.version;
  let maasDns: string[] = [];
  if (s.allow_dns) {
    maasDns = unique([...(next ? [formatIp(next)] : []), ...(input.dnsServers ?? []).filter(sameFamily)]);
    if (!s.gateway_ip) maasDns = maasDns.filter((t) => inNet(net, tryParseIp(t)!));
  }
  const ntp = input.ntpServers && input.ntpServers.length > 0 ? [...input.ntpServers] : unique([...(next ? [formatIp(next)] : []), ...(peerNext ? [peerNext] : [])]);
  const pools = input.ranges
    .filter((r) => r.subnet_id === s.id && r.type === 'dynamic')
    .sort((a, b) => a.id - b.id)
    .map((r) => ({ start: r.start_ip, end: r.end_ip }));
  const hosts: DhcpHost[] = [];
  const seen = new Set<string>();
  for (const h of input.hosts) {
    if (!HOST_ALLOC_TYPES.has(h.alloc_type)) continue;
    const ip = tryParseIp(h.ip);
    if (!ip || !inNet(net, ip)) continue;
    const mac = normalizeMac(h.mac);
    if (!mac) {
      warnings.push(`Host ${h.hostname} has an invalid MAC address ${JSON.stringify(h.mac)}; no reservation for ${h.ip}.`);
      continue;
    }
    if (seen.has(mac)) continue;
    seen.add(mac);
    const name = h.interface_name ? `${h.hostname}-${h.interface_name.replace(/\./g, '-')}` : h.hostname;
    hosts.push({ name, hostname: h.hostname, mac, ip: formatIp(ip) });
  }
  const valueOf = (h: DhcpHost) => tryParseIp(h.ip)!.value;
  hosts.sort((a, b) => (valueOf(a) < valueOf(b) ? -1 : valueOf(a) > valueOf(b) ? 1 : a.mac < b.mac ? -1 : a.mac > b.mac ? 1 : 0));
  const bcast = broadcastAddress(net);
  const v6mode: Ipv6AddressMode | null = net.version === 6 ? s.ipv6_address_mode ?? 'dhcpv6-stateful' : null;
  return {
    subnet_id: s.id,
    cidr: s.cidr,
    ip_version: net.version,
    vlan_id: s.vlan_id,
    relayed,
    netmask: formatIp(netmask(net)),
    broadcast: bcast ? formatIp(bcast) : null,
    router: s.gateway_ip || null,
    dns_servers: unique([...maasDns, ...s.dns_servers]),
    domain_name: input.domain,
    domain_search: unique([input.domain, ...(input.searchDomains ?? [])]),
    ntp_servers: ntp,
    mtu,
    next_server: next ? formatIp(next) : null,
    pools: v6mode && v6mode !== 'dhcpv6-stateful' ? [] : pools,
    ipv6: v6mode ? { mode: v6mode, managed: v6mode === 'dhcpv6-stateful', other_config: v6mode !== 'slaac', autonomous: v6mode !== 'dhcpv6-stateful' } : null,
    hosts,
    boot: next ? bootRules(next, input.boot, s.disabled_boot_architectures) : [],
  };
}
