/**
 * Builders for network-model test data: plain entities with sensible defaults, so each test
 * states only what matters to it.
 */
import {
  DEFAULT_BOND_PARAMS,
  DEFAULT_BRIDGE_PARAMS,
  type BondParams,
  type BridgeParams,
  type Fabric,
  type Interface,
  type InterfaceLink,
  type IpRange,
  type Subnet,
  type Vlan,
} from '../../src/domain/network/types.ts';

export const fabric = (over: Partial<Fabric> = {}): Fabric => ({ id: 1, name: 'fabric-0', description: '', class_type: null, ...over });

export const vlan = (over: Partial<Vlan> = {}): Vlan => ({
  id: 5001,
  fabric_id: 1,
  vid: 0,
  name: 'untagged',
  description: '',
  mtu: 1500,
  dhcp_on: false,
  external_dhcp: null,
  primary_rack: null,
  secondary_rack: null,
  relay_vlan_id: null,
  space_id: null,
  ...over,
});

export const subnet = (over: Partial<Subnet> & { cidr: string }): Subnet => ({
  id: 1,
  name: over.cidr,
  description: '',
  vlan_id: 5001,
  gateway_ip: null,
  dns_servers: [],
  managed: true,
  allow_dns: true,
  allow_proxy: true,
  active_discovery: false,
  rdns_mode: 2,
  disabled_boot_architectures: [],
  ...over,
});

let rangeId = 100;
export const range = (type: IpRange['type'], start_ip: string, end_ip: string, over: Partial<IpRange> = {}): IpRange => ({
  id: rangeId++,
  subnet_id: 1,
  type,
  start_ip,
  end_ip,
  comment: '',
  user: null,
  ...over,
});

export const link = (id: number, mode: InterfaceLink['mode'], subnet_id: number | null, ip_address: string | null = null): InterfaceLink => ({ id, mode, subnet_id, ip_address });

interface Common {
  id: number;
  name: string;
  mac: string;
  vlan_id?: number | null;
  parents?: number[];
  links?: InterfaceLink[];
  mtu?: number | null;
  enabled?: boolean;
}

const base = (c: Common) => ({
  id: c.id,
  node: 'abc123',
  name: c.name,
  mac_address: c.mac,
  enabled: c.enabled ?? true,
  vlan_id: c.vlan_id === undefined ? 5001 : c.vlan_id,
  parents: c.parents ?? [],
  mtu: c.mtu ?? null,
  accept_ra: null,
  tags: [],
  links: c.links ?? [],
});

export const physical = (c: Common): Interface => ({ ...base(c), type: 'physical' });
export const bond = (c: Common, params: Partial<BondParams> = {}): Interface => ({ ...base(c), type: 'bond', bond: { ...DEFAULT_BOND_PARAMS, ...params } });
export const vlanIface = (c: Common): Interface => ({ ...base(c), type: 'vlan' });
export const bridge = (c: Common, params: Partial<BridgeParams> = {}): Interface => ({ ...base(c), type: 'bridge', bridge: { ...DEFAULT_BRIDGE_PARAMS, ...params } });
