/**
 * The network model as plain data. These are the shapes the store persists and the MAAS API edge
 * renders (field names follow MAAS's JSON where one exists). Every entity is a plain object with
 * no behaviour; the rules live in ip.ts, validate.ts, ipam.ts, dhcp-service.ts and render/.
 *
 * Relations are by id: a VLAN names its fabric, a subnet its VLAN, a range its subnet. Racks and
 * machines are named by system_id. Addresses are stored as canonical text (see ip.ts).
 */

/** A layer-2 domain: a set of VLANs that can reach each other. MAAS's default is `fabric-0`. */
export interface Fabric {
  id: number;
  name: string;
  description: string;
  /** Free-form classification (MAAS: e.g. "10g"); null when not set. */
  class_type: string | null;
}

/** A VLAN on a fabric. vid 0 is the fabric's untagged VLAN (named "untagged"). */
export interface Vlan {
  id: number;
  fabric_id: number;
  /** 802.1Q VLAN id, 0 (untagged) to 4094. */
  vid: number;
  name: string;
  description: string;
  /** Link MTU for interfaces on this VLAN (MAAS default 1500; 552..65535). */
  mtu: number;
  /** Whether Plinth serves DHCP on this VLAN (needs a primary rack and a dynamic range). */
  dhcp_on: boolean;
  /** Address of a DHCP server seen on the VLAN that is not ours, or null. */
  external_dhcp: string | null;
  /** system_id of the rack serving DHCP, or null. */
  primary_rack: string | null;
  /** system_id of the failover rack, or null. */
  secondary_rack: string | null;
  /** When set, DHCP for this VLAN is relayed to (served on) that VLAN; dhcp_on must then be false. */
  relay_vlan_id: number | null;
  /** The space the VLAN belongs to, or null ("undefined" in MAAS JSON). */
  space_id: number | null;
}

/** A named set of VLANs/subnets with the same reachability (used by allocation constraints). */
export interface Space {
  id: number;
  name: string;
  description: string;
}

/** Reverse-DNS handling for a subnet: 0 disabled, 1 enabled, 2 RFC 2317 (the MAAS default). */
export type RdnsMode = 0 | 1 | 2;

export interface Subnet {
  id: number;
  /** Defaults to the CIDR text. */
  name: string;
  description: string;
  vlan_id: number;
  /** Canonical network text, e.g. "10.1.20.0/24" (host bits clear). */
  cidr: string;
  gateway_ip: string | null;
  dns_servers: string[];
  /** Managed: Plinth allocates outside reserved ranges. Unmanaged: only inside reserved ranges. */
  managed: boolean;
  allow_dns: boolean;
  allow_proxy: boolean;
  active_discovery: boolean;
  rdns_mode: RdnsMode;
  /** Boot methods the rack's DHCP must not answer on this subnet (names as in dhcp-service.ts). */
  disabled_boot_architectures: string[];
  /** IPv6 only: how hosts get addresses (router advertisement flags, DHCPv6). Null/absent for IPv4. */
  ipv6_address_mode?: Ipv6AddressMode | null;
}

export const IPV6_ADDRESS_MODES = ['slaac', 'dhcpv6-stateless', 'dhcpv6-stateful'] as const;
export type Ipv6AddressMode = (typeof IPV6_ADDRESS_MODES)[number];

export type IpRangeType = 'dynamic' | 'reserved';

/**
 * A range of addresses in a subnet, both ends inclusive.
 * - dynamic: served by DHCP to enlisting/commissioning machines and DHCP-mode links.
 * - reserved: managed subnet: never allocated by Plinth; unmanaged subnet: the only addresses
 *   Plinth may allocate.
 */
export interface IpRange {
  id: number;
  subnet_id: number;
  type: IpRangeType;
  start_ip: string;
  end_ip: string;
  comment: string;
  /** Username of the creator, or null. */
  user: string | null;
}

/** StaticIPAddress.alloc_type values, as numbers on the MAAS wire. */
export const AllocType = {
  /** Chosen by Plinth when a machine with an `auto` link deploys. */
  AUTO: 0,
  /** Fixed by the user on a `static` link. */
  STICKY: 1,
  /** Reserved by a user through `ipaddresses reserve`, not bound to a node. */
  USER_RESERVED: 4,
  /** Leased by DHCP to a `dhcp` link. */
  DHCP: 5,
  /** Observed on the network (leases, ARP) but not assigned by Plinth. */
  DISCOVERED: 6,
} as const;
export type AllocType = (typeof AllocType)[keyof typeof AllocType];

export const ALLOC_TYPE_NAMES: Readonly<Record<AllocType, string>> = {
  0: 'Automatic',
  1: 'Static',
  4: 'User reserved',
  5: 'DHCP',
  6: 'Observed',
};

/**
 * One address held in a subnet (MAAS StaticIPAddress). `ip` is null for an `auto` link before
 * deployment and for a `dhcp` link without a lease. A link of an interface points at one of these.
 */
export interface StaticIpAssignment {
  id: number;
  ip: string | null;
  alloc_type: AllocType;
  subnet_id: number | null;
  /** Interfaces holding the address (usually one). */
  interface_ids: number[];
  /** system_id of the owning node, or null (user reservations). */
  node: string | null;
  /** Username for USER_RESERVED addresses, else null. */
  user: string | null;
}

export type InterfaceType = 'physical' | 'bond' | 'vlan' | 'bridge';

export type LinkMode = 'auto' | 'static' | 'dhcp' | 'link_up';

/** A link of an interface to a subnet (MAAS `links[]`). */
export interface InterfaceLink {
  /** The id of the StaticIpAssignment behind the link. */
  id: number;
  mode: LinkMode;
  /** Required except for `link_up` without a subnet. */
  subnet_id: number | null;
  /** The assigned address: required for `static`; set for `auto` once allocated; null otherwise. */
  ip_address: string | null;
}

export const BOND_MODES = ['balance-rr', 'active-backup', 'balance-xor', 'broadcast', '802.3ad', 'balance-tlb', 'balance-alb'] as const;
export type BondMode = (typeof BOND_MODES)[number];
export const BOND_LACP_RATES = ['fast', 'slow'] as const;
export type BondLacpRate = (typeof BOND_LACP_RATES)[number];
export const BOND_XMIT_HASH_POLICIES = ['layer2', 'layer2+3', 'layer3+4', 'encap2+3', 'encap3+4'] as const;
export type BondXmitHashPolicy = (typeof BOND_XMIT_HASH_POLICIES)[number];
export const BRIDGE_TYPES = ['standard', 'ovs'] as const;
export type BridgeType = (typeof BRIDGE_TYPES)[number];

/** Bond parameters (MAAS `params.bond_*`); defaults in {@link DEFAULT_BOND_PARAMS}. */
export interface BondParams {
  mode: BondMode;
  /** Link monitoring interval in ms (MII). */
  miimon: number;
  downdelay: number;
  updelay: number;
  /** LACPDU rate; only meaningful for 802.3ad. */
  lacp_rate: BondLacpRate;
  /** Slave selection hash; meaningful for balance-xor, 802.3ad and balance-tlb. */
  xmit_hash_policy: BondXmitHashPolicy;
  /** Gratuitous ARPs after a failover (1..255). */
  num_grat_arp: number;
}

export const DEFAULT_BOND_PARAMS: Readonly<BondParams> = {
  mode: 'balance-rr',
  miimon: 100,
  downdelay: 0,
  updelay: 0,
  lacp_rate: 'slow',
  xmit_hash_policy: 'layer2',
  num_grat_arp: 1,
};

/** Bridge parameters (MAAS `params.bridge_*`). */
export interface BridgeParams {
  bridge_type: BridgeType;
  /** Spanning tree on/off. */
  stp: boolean;
  /** Forward delay in seconds. */
  fd: number;
}

export const DEFAULT_BRIDGE_PARAMS: Readonly<BridgeParams> = { bridge_type: 'standard', stp: false, fd: 15 };

interface InterfaceBase {
  id: number;
  /** system_id of the node the interface belongs to. */
  node: string;
  name: string;
  /** Lower-case colon form ("52:54:00:12:34:56"). */
  mac_address: string;
  enabled: boolean;
  /** The VLAN the interface is on, or null when disconnected. */
  vlan_id: number | null;
  /** ids of the interfaces this one is built on (bond slaves, the VLAN's or bridge's parent). */
  parents: number[];
  /** Interface MTU; null means "use the VLAN's". */
  mtu: number | null;
  /** IPv6 router advertisements: null leaves the OS default. */
  accept_ra: boolean | null;
  tags: string[];
  links: InterfaceLink[];
}

export interface PhysicalInterface extends InterfaceBase {
  type: 'physical';
}

export interface BondInterface extends InterfaceBase {
  type: 'bond';
  bond: BondParams;
}

/** An 802.1Q sub-interface: exactly one parent; its VID is the VLAN's (vlan_id). */
export interface VlanInterface extends InterfaceBase {
  type: 'vlan';
}

export interface BridgeInterface extends InterfaceBase {
  type: 'bridge';
  bridge: BridgeParams;
}

export type Interface = PhysicalInterface | BondInterface | VlanInterface | BridgeInterface;

/** A route from one subnet to another (MAAS StaticRoute). */
export interface StaticRoute {
  id: number;
  source_subnet_id: number;
  destination_subnet_id: number;
  gateway_ip: string;
  metric: number;
}
