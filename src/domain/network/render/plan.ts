/**
 * A machine's deployed network configuration, resolved from the model into what every renderer
 * needs: interfaces in dependency order (parents before children, then by name), each with its
 * MTU, addresses, DHCP families, default gateway, static routes and DNS settings.
 *
 * Link modes (MAAS §8.2): `auto` and `static` give an address (an `auto` link must have been
 * allocated one before rendering), `dhcp` turns on DHCP for the subnet's family, `link_up` only
 * brings the interface up.
 *
 * The default gateway of a family goes on exactly one link: the one named in `defaultGateways`,
 * else the first static/auto link (by interface id, then link id) whose subnet has a gateway.
 */
import { PlinthError } from '../../errors.ts';
import { formatIp, parseCidr, tryParseIp, type IpVersion } from '../ip.ts';
import type { BondParams, BridgeParams, Interface, InterfaceLink, StaticRoute, Subnet, Vlan } from '../types.ts';

export class NetworkConfigError extends PlinthError {
  constructor(message: string) {
    super('bad_request', message);
  }
}

export interface NetworkConfigInput {
  /** The machine's interfaces. Disabled ones are left out. */
  interfaces: readonly Interface[];
  vlans: readonly Vlan[];
  subnets: readonly Subnet[];
  staticRoutes?: readonly StaticRoute[];
  /** Link ids carrying the default route per family (MAAS gateway_link_ipv4 / _ipv6). */
  defaultGateways?: { ipv4?: number | null; ipv6?: number | null };
  /** DNS servers listed after each subnet's own (e.g. the rack's address). */
  nameservers?: readonly string[];
  /** DNS search domains (e.g. the machine's domain). */
  searchDomains?: readonly string[];
}

export interface PlannedRoute {
  to: string;
  via: string;
  metric: number;
}

export interface PlannedInterface {
  id: number;
  name: string;
  type: Interface['type'];
  mac: string;
  mtu: number;
  accept_ra: boolean | null;
  /** Names of the interfaces this one is built on. */
  parents: string[];
  /** VLAN interfaces: the 802.1Q id. */
  vid?: number;
  bond?: BondParams;
  bridge?: BridgeParams;
  /** "address/prefix" texts, IPv4 first, in link order. */
  addresses: { cidr: string; version: IpVersion }[];
  dhcp4: boolean;
  dhcp6: boolean;
  gateway4: string | null;
  gateway6: string | null;
  routes: PlannedRoute[];
  /** Only for interfaces with a static address (DHCP brings its own). */
  nameservers: string[];
  search: string[];
}

const unique = (xs: string[]) => [...new Set(xs)];

function pickDefaultLinks(input: NetworkConfigInput, subnetOf: (l: InterfaceLink) => Subnet | undefined) {
  const candidates = [...input.interfaces]
    .filter((i) => i.enabled)
    .sort((a, b) => a.id - b.id)
    .flatMap((i) => [...i.links].sort((a, b) => a.id - b.id));
  const choose = (version: IpVersion, wanted: number | null | undefined): number | null => {
    const ok = (l: InterfaceLink) => {
      const s = subnetOf(l);
      return (l.mode === 'static' || l.mode === 'auto') && !!s?.gateway_ip && parseCidr(s.cidr, { strict: false }).version === version;
    };
    if (wanted !== undefined && wanted !== null) return candidates.find((l) => l.id === wanted && ok(l))?.id ?? null;
    return candidates.find(ok)?.id ?? null;
  };
  return { v4: choose(4, input.defaultGateways?.ipv4), v6: choose(6, input.defaultGateways?.ipv6) };
}

export function planNetwork(input: NetworkConfigInput): PlannedInterface[] {
  const byId = new Map(input.interfaces.map((i) => [i.id, i]));
  const subnets = new Map(input.subnets.map((s) => [s.id, s]));
  const vlans = new Map(input.vlans.map((v) => [v.id, v]));
  const subnetOf = (l: InterfaceLink) => (l.subnet_id === null ? undefined : subnets.get(l.subnet_id));
  const defaults = pickDefaultLinks(input, subnetOf);
  const enabled = input.interfaces.filter((i) => i.enabled);

  const planned = new Map<number, PlannedInterface>();
  for (const iface of enabled) {
    const parents = iface.parents.map((pid) => {
      const p = byId.get(pid);
      if (!p) throw new NetworkConfigError(`${iface.name} is built on interface ${pid}, which does not exist.`);
      if (!p.enabled) throw new NetworkConfigError(`${iface.name} is built on ${p.name}, which is disabled.`);
      return p.name;
    });
    const vlan = iface.vlan_id === null ? undefined : vlans.get(iface.vlan_id);
    if (iface.type === 'vlan' && (parents.length !== 1 || !vlan)) {
      throw new NetworkConfigError(`VLAN interface ${iface.name} needs exactly one parent and a VLAN.`);
    }
    const p: PlannedInterface = {
      id: iface.id,
      name: iface.name,
      type: iface.type,
      mac: iface.mac_address.toLowerCase(),
      mtu: iface.mtu ?? vlan?.mtu ?? 1500,
      accept_ra: iface.accept_ra,
      parents,
      ...(iface.type === 'vlan' ? { vid: vlan!.vid } : {}),
      ...(iface.type === 'bond' ? { bond: iface.bond } : {}),
      ...(iface.type === 'bridge' ? { bridge: iface.bridge } : {}),
      addresses: [],
      dhcp4: false,
      dhcp6: false,
      gateway4: null,
      gateway6: null,
      routes: [],
      nameservers: [],
      search: [],
    };
    const dns: string[] = [];
    for (const link of [...iface.links].sort((a, b) => a.id - b.id)) {
      const subnet = subnetOf(link);
      if (link.subnet_id !== null && !subnet) throw new NetworkConfigError(`${iface.name} links to subnet ${link.subnet_id}, which does not exist.`);
      const net = subnet ? parseCidr(subnet.cidr, { strict: false }) : null;
      if (link.mode === 'dhcp') {
        if (net?.version === 6) p.dhcp6 = true;
        else p.dhcp4 = true;
      }
      if ((link.mode !== 'static' && link.mode !== 'auto') || !subnet || !net) continue;
      const ip = link.ip_address ? tryParseIp(link.ip_address) : null;
      if (!ip) {
        throw new NetworkConfigError(
          `${iface.name}: the ${link.mode} link to ${subnet.cidr} has no IP address` +
            (link.mode === 'auto' ? '; allocate one before rendering the configuration.' : '.'),
        );
      }
      if (ip.version !== net.version) throw new NetworkConfigError(`${iface.name}: ${link.ip_address} is not an address of ${subnet.cidr}.`);
      p.addresses.push({ cidr: `${formatIp(ip)}/${net.prefix}`, version: net.version });
      if (link.id === defaults.v4 && subnet.gateway_ip) p.gateway4 = subnet.gateway_ip;
      if (link.id === defaults.v6 && subnet.gateway_ip) p.gateway6 = subnet.gateway_ip;
      for (const r of (input.staticRoutes ?? []).filter((r) => r.source_subnet_id === subnet.id).sort((a, b) => a.id - b.id)) {
        const dest = subnets.get(r.destination_subnet_id);
        if (!dest) throw new NetworkConfigError(`Static route ${r.id} leads to subnet ${r.destination_subnet_id}, which does not exist.`);
        p.routes.push({ to: dest.cidr, via: r.gateway_ip, metric: r.metric });
      }
      dns.push(...subnet.dns_servers);
    }
    p.addresses.sort((a, b) => a.version - b.version);
    if (p.addresses.length > 0) {
      p.nameservers = unique([...dns, ...(input.nameservers ?? [])]);
      p.search = unique([...(input.searchDomains ?? [])]);
    }
    planned.set(iface.id, p);
  }
  return dependencyOrder([...planned.values()]);
}

/** Parents before children; among ready interfaces, by name. Refuses cycles. */
function dependencyOrder(items: PlannedInterface[]): PlannedInterface[] {
  const byName = new Map(items.map((i) => [i.name, i]));
  const done = new Set<string>();
  const out: PlannedInterface[] = [];
  const pending = [...items].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  while (pending.length > 0) {
    const idx = pending.findIndex((i) => i.parents.every((p) => done.has(p) || !byName.has(p)));
    if (idx < 0) throw new NetworkConfigError(`Interfaces ${pending.map((i) => i.name).join(', ')} depend on each other in a cycle.`);
    const [next] = pending.splice(idx, 1);
    done.add(next.name);
    out.push(next);
  }
  return out;
}

/** Names of interfaces that are enslaved to a bond or a bridge (they carry no addresses). */
export function memberOf(plan: readonly PlannedInterface[]): Map<string, PlannedInterface> {
  const out = new Map<string, PlannedInterface>();
  for (const p of plan) if (p.type === 'bond' || p.type === 'bridge') for (const parent of p.parents) out.set(parent, p);
  return out;
}
