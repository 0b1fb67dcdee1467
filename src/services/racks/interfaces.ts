/**
 * A rack's interfaces as it reports them (in `hello`, and in `interfaces.report` when they change),
 * written to its node and placed in the network model as MAAS does for a controller's interfaces —
 * an address inside a known subnet puts the interface on that subnet's VLAN; an address in no known
 * subnet gets a new fabric (for a physical interface) or the parent's fabric and the tagged VLAN
 * (for a VLAN interface) and a new subnet. Every address is recorded as a STICKY (static) link of
 * its interface; interfaces the rack no longer reports are deleted. Subnets are never deleted.
 *
 * Callers run it inside a transaction holding `RACK_INTERFACES_LOCK` (one at a time, so two racks
 * never both create the same subnet).
 */
import { conflict } from '../../domain/errors.ts';
import { normalizeMac } from '../../domain/machine/mac.ts';
import { contains, formatCidr, formatIp, isLinkLocal, parseInterfaceAddress } from '../../domain/network/ip.ts';
import { AllocType } from '../../domain/network/types.ts';
import { interfacesRepo } from '../../store/repos/network-interfaces.ts';
import { addressesRepo } from '../../store/repos/network-ips.ts';
import { fabricsRepo, loadTopology, vlansRepo, type SubnetRow, type Topology } from '../../store/repos/network.ts';
import { subnetsRepo } from '../../store/repos/network-subnets.ts';
import type { Queryable, ServiceContext } from '../context.ts';
import { lockSubnet } from '../network/allocate.ts';
import { DEFAULT_MTU } from '../network/fabrics.ts';

export interface ReportedInterface { name: string; mac: string; addresses: string[]; vid?: number; parent?: string }

/** What a sync changed, by interface name; `subnets` names the subnets it created. */
export interface InterfaceChange { added: string[]; removed: string[]; changed: string[]; subnets: string[] }

export const RACK_INTERFACES_LOCK = 0x504c5252; // 'PLRR'

export const interfacesChanged = (c: InterfaceChange): boolean => c.added.length + c.removed.length + c.changed.length + c.subnets.length > 0;

/** A new fabric with its untagged VLAN (MAAS does this for a controller interface on an unknown network). */
async function newFabricVlan(q: Queryable): Promise<number> {
  const fabric = await fabricsRepo.insert(q, { description: '', class_type: null });
  const vlan = await vlansRepo.insert(q, fabric.id, 0, {
    name: 'untagged', description: '', mtu: DEFAULT_MTU, dhcp_on: false, space_id: null, relay_vlan_id: null, primary_rack_id: null, secondary_rack_id: null,
  });
  return vlan.id;
}

async function taggedVlan(q: Queryable, fabricId: number, vid: number): Promise<number> {
  const have = await vlansRepo.byVid(q, fabricId, vid);
  if (have) return have.id;
  return (await vlansRepo.insert(q, fabricId, vid, {
    name: '', description: '', mtu: DEFAULT_MTU, dhcp_on: false, space_id: null, relay_vlan_id: null, primary_rack_id: null, secondary_rack_id: null,
  })).id;
}

async function newSubnet(q: Queryable, topo: Topology, cidr: string, vlanId: number): Promise<SubnetRow> {
  const row = await subnetsRepo.insert(q, {
    name: cidr, description: '', vlan_id: vlanId, cidr, gateway_ip: null, dns_servers: [], managed: true, allow_dns: true,
    allow_proxy: true, active_discovery: false, rdns_mode: 2, disabled_boot_architectures: [], ipv6_address_mode: null,
  });
  topo.subnets.set(row.id, row);
  return row;
}

interface Placed { ip: string; subnet: SubnetRow | undefined; cidr: string }

/** Each address with the known subnet containing it (link-local addresses are not recorded). */
function place(topo: Topology, addresses: string[]): Placed[] {
  const out: Placed[] = [];
  for (const a of addresses) {
    const { address, network } = parseInterfaceAddress(a);
    if (isLinkLocal(address)) continue;
    const subnet = [...topo.subnets.values()].find((s) => contains(parseInterfaceAddress(s.cidr).network, address));
    out.push({ ip: formatIp(address), subnet, cidr: formatCidr(network) });
  }
  return out;
}

/** What an interface looks like for change detection: MAC, VLAN, type, parents and its addresses. */
const shape = (mac: string | null, vlanId: number | null, type: string, parents: number[], ips: string[]) =>
  JSON.stringify([mac, vlanId, type, [...parents].sort(), [...ips].sort()]);

/** Writes the rack's reported interfaces to its node (see the file comment); returns what changed. */
export async function syncRackInterfaces(ctx: ServiceContext, q: Queryable, node: { id: number; system_id: string }, interfaces: ReportedInterface[]): Promise<InterfaceChange> {
  const change: InterfaceChange = { added: [], removed: [], changed: [], subnets: [] };
  const topo = await loadTopology(q);
  const existing = await interfacesRepo.byNode(q, node.id);
  const oldIps = new Map<number, string[]>();
  for (const a of await addressesRepo.byInterfaces(q, existing.map((e) => e.id))) {
    if (a.ip) oldIps.set(a.interface_id!, [...(oldIps.get(a.interface_id!) ?? []), a.ip]);
  }
  const before = new Map(existing.map((e) => [e.name, shape(e.mac_address, e.vlan_id, e.type, e.parent_ids ?? [], oldIps.get(e.id) ?? [])]));
  const reported = new Set(interfaces.map((i) => i.name));
  for (const gone of existing.filter((i) => !reported.has(i.name))) {
    await interfacesRepo.delete(q, gone.id);
    change.removed.push(gone.name);
  }
  const ids = new Map<string, number>();
  const vlanOf = new Map<string, number>();
  // Parents before their VLAN interfaces.
  const ordered = [...interfaces].sort((a, b) => Number(a.vid !== undefined) - Number(b.vid !== undefined));
  for (const i of ordered) await addressesRepo.deleteForInterface(q, existing.find((e) => e.name === i.name)?.id ?? -1);
  for (const i of ordered) {
    const placed = place(topo, i.addresses);
    const old = existing.find((e) => e.name === i.name);
    let vlanId: number;
    const parentVlan = i.parent ? vlanOf.get(i.parent) : undefined;
    if (i.vid !== undefined && i.vid > 0 && parentVlan !== undefined) {
      vlanId = await taggedVlan(q, topo.vlans.get(parentVlan)?.fabric_id ?? (await vlansRepo.byId(q, parentVlan))!.fabric_id, i.vid);
    } else {
      vlanId = placed.find((p) => p.subnet)?.subnet!.vlan_id ?? old?.vlan_id ?? await newFabricVlan(q);
    }
    vlanOf.set(i.name, vlanId);
    const mac = normalizeMac(i.mac)!;
    const isVlan = i.vid !== undefined && i.vid > 0 && !!i.parent;
    const write = {
      name: i.name, type: isVlan ? 'vlan' : 'physical', mac_address: mac, vlan_id: vlanId, params: old?.params ?? {}, tags: old?.tags ?? [],
      mtu: old?.mtu ?? null, parent_ids: isVlan && ids.has(i.parent!) ? [ids.get(i.parent!)!] : [], enabled: true,
      link_connected: true, interface_speed: old?.interface_speed ?? 0, link_speed: old?.link_speed ?? 0,
    };
    if (!isVlan) {
      const owner = await interfacesRepo.macOwner(q, mac, old?.id ?? -1);
      if (owner) throw conflict(`MAC address ${mac} of ${i.name} is already used by ${owner.hostname} (${owner.name}).`);
    }
    let id = old?.id;
    if (id === undefined) id = await interfacesRepo.insert(q, node.id, write);
    else await interfacesRepo.update(q, id, write);
    ids.set(i.name, id);
    const recorded: string[] = [];
    for (const p of placed) {
      let subnet = p.subnet;
      if (!subnet) { subnet = await newSubnet(q, topo, p.cidr, vlanId); change.subnets.push(subnet.name); }
      await lockSubnet(q, subnet.id);
      const holder = await addressesRepo.byIp(q, p.ip);
      if (holder) { ctx.log.warn({ system_id: node.system_id, ip: p.ip }, 'rack address already held by another assignment; not recorded'); continue; }
      await addressesRepo.insert(q, { ip: p.ip, alloc_type: AllocType.STICKY, subnet_id: subnet.id, node_id: node.id, interface_id: id });
      recorded.push(p.ip);
    }
    const was = before.get(i.name);
    if (was === undefined) change.added.push(i.name);
    else if (was !== shape(mac, vlanId, write.type, write.parent_ids, recorded)) change.changed.push(i.name);
  }
  return change;
}
