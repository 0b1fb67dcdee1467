/**
 * Netplan version 2 rendering of a machine's deployed network configuration
 * (https://netplan.readthedocs.io/en/stable/netplan-yaml/).
 *
 * - ethernets match by `macaddress` and `set-name` to the modelled name;
 * - bonds/bridges list their `interfaces`; vlans carry `{id, link}`;
 * - `addresses`, `dhcp4`/`dhcp6`, `mtu`, `accept-ra`;
 * - the default gateway as `routes: [{to: default, via}]` (the `gateway4/6` keys are deprecated),
 *   static routes as further `routes` entries with their metric;
 * - `nameservers: {addresses, search}` on interfaces with a static address;
 * - bond `parameters`: mode, mii-monitor-interval, up-delay, down-delay, lacp-rate (802.3ad only),
 *   transmit-hash-policy (balance-xor, 802.3ad, balance-tlb only), gratuitous-arp
 *   (active-backup only); bridge `parameters`: stp, forward-delay; `openvswitch: {}` for OVS.
 *
 * Output is deterministic: fixed key order, interfaces sorted by name within each section.
 */
import { planNetwork, type NetworkConfigInput, type PlannedInterface } from './plan.ts';
import { toYaml, type YamlValue } from './yaml.ts';

type Mapping = { [key: string]: YamlValue };

const HASH_POLICY_MODES = new Set(['balance-xor', '802.3ad', 'balance-tlb']);

function common(p: PlannedInterface): Mapping {
  const routes: Mapping[] = [];
  if (p.gateway4) routes.push({ to: 'default', via: p.gateway4 });
  if (p.gateway6) routes.push({ to: 'default', via: p.gateway6 });
  for (const r of p.routes) routes.push({ to: r.to, via: r.via, metric: r.metric });
  return {
    mtu: p.mtu,
    'accept-ra': p.accept_ra ?? undefined,
    addresses: p.addresses.length > 0 ? p.addresses.map((a) => a.cidr) : undefined,
    dhcp4: p.dhcp4 || undefined,
    dhcp6: p.dhcp6 || undefined,
    routes: routes.length > 0 ? routes : undefined,
    nameservers:
      p.nameservers.length > 0 || p.search.length > 0
        // `addresses` always present: cloud-init 22.x refuses a nameservers block without it (search alone).
        ? { addresses: p.nameservers, search: p.search.length > 0 ? p.search : undefined }
        : undefined,
  };
}

function bondParameters(p: PlannedInterface): Mapping {
  const b = p.bond!;
  return {
    mode: b.mode,
    'lacp-rate': b.mode === '802.3ad' ? b.lacp_rate : undefined,
    'mii-monitor-interval': b.miimon,
    'up-delay': b.updelay,
    'down-delay': b.downdelay,
    'transmit-hash-policy': HASH_POLICY_MODES.has(b.mode) ? b.xmit_hash_policy : undefined,
    'gratuitous-arp': b.mode === 'active-backup' ? b.num_grat_arp : undefined,
  };
}

const byName = (a: PlannedInterface, b: PlannedInterface) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

/** Drops keys whose value is undefined, recursively. */
function compact(value: YamlValue): YamlValue {
  if (Array.isArray(value)) return value.map(compact);
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined).map(([k, v]) => [k, compact(v as YamlValue)]));
  }
  return value;
}

/** The netplan document as a plain object (useful for embedding in cloud-init/curtin config). */
export function netplanDocument(input: NetworkConfigInput): { network: Mapping } {
  const plan = [...planNetwork(input)].sort(byName);
  const section = (type: PlannedInterface['type'], build: (p: PlannedInterface) => Mapping): Mapping | undefined => {
    const items = plan.filter((p) => p.type === type);
    if (items.length === 0) return undefined;
    return Object.fromEntries(items.map((p) => [p.name, build(p)]));
  };
  const network: Mapping = {
    version: 2,
    ethernets: section('physical', (p) => ({ match: { macaddress: p.mac }, 'set-name': p.name, ...common(p) })),
    bonds: section('bond', (p) => ({ interfaces: p.parents, macaddress: p.mac, ...common(p), parameters: bondParameters(p) })),
    vlans: section('vlan', (p) => ({ id: p.vid!, link: p.parents[0], ...common(p) })),
    bridges: section('bridge', (p) => ({
      interfaces: p.parents,
      macaddress: p.mac,
      ...common(p),
      parameters: { stp: p.bridge!.stp, 'forward-delay': p.bridge!.fd },
      openvswitch: p.bridge!.bridge_type === 'ovs' ? {} : undefined,
    })),
  };
  return { network: compact(network) as Mapping };
}

/** The netplan YAML text (e.g. for /etc/netplan/50-cloud-init.yaml). */
export function renderNetplan(input: NetworkConfigInput): string {
  return toYaml(netplanDocument(input));
}
