/**
 * A node's interfaces: physical, bond (mode, LACP rate, transmit hash, MII timers), 802.1Q VLAN and
 * bridge; update, delete, disconnect, tags. Links to subnets are in links.ts.
 */
import { invalid } from '../../domain/errors.ts';
import { normalizeMac } from '../../domain/machine/mac.ts';
import {
  BOND_LACP_RATES, BOND_MODES, BOND_XMIT_HASH_POLICIES, BRIDGE_TYPES, DEFAULT_BOND_PARAMS, DEFAULT_BRIDGE_PARAMS,
} from '../../domain/network/types.ts';
import type { InterfaceRow } from '../../store/repos/machines.ts';
import { loadTopology, type Topology } from '../../store/repos/network.ts';
import { interfacesRepo, type InterfaceWrite } from '../../store/repos/network-interfaces.ts';
import { addressesRepo } from '../../store/repos/network-ips.ts';
import type { Actor, Queryable, ServiceContext } from '../context.ts';
import { assertCanChange, findNode, interfaceOf, nodeInterfaces, resolveParents, type NodeInterfaces } from './iface-access.ts';
import { findVlans } from './lookup.ts';

export interface InterfaceFields {
  name?: string; mac_address?: string; tags?: string[]; vlan?: string; mtu?: number; accept_ra?: boolean;
  parents?: string[]; parent?: string; link_connected?: boolean; interface_speed?: number; link_speed?: number;
  bond_mode?: string; bond_miimon?: number; bond_downdelay?: number; bond_updelay?: number; bond_lacp_rate?: string;
  bond_xmit_hash_policy?: string; bond_num_grat_arp?: number;
  bridge_type?: string; bridge_stp?: boolean; bridge_fd?: number;
}

const NAME = /^[\w.:-]{1,63}$/;

function choice(field: string, value: string | undefined, allowed: readonly string[], fallback: string): string {
  if (value === undefined || value === '') return fallback;
  if (!allowed.includes(value)) throw invalid({ [field]: [`Select a valid choice. ${value} is not one of the available choices (${allowed.join(', ')}).`] });
  return value;
}

function range(field: string, value: number | undefined, lo: number, hi: number, fallback: number): number {
  if (value === undefined) return fallback;
  if (value < lo || value > hi) throw invalid({ [field]: [`Ensure this value is between ${lo} and ${hi} (got ${value}).`] });
  return value;
}

const mtuOf = (f: InterfaceFields, current: number | null) =>
  f.mtu === undefined ? current : range('mtu', f.mtu, 552, 65535, 1500);

function vlanId(topo: Topology, spec: string | undefined, fallback: number | null): number | null {
  if (spec === undefined) return fallback;
  if (spec === '' || spec.toLowerCase() === 'none') return null;
  const found = findVlans(topo, spec);
  if (found.length !== 1) throw invalid({ vlan: [`VLAN ${spec} does not exist.`] });
  return found[0].id;
}

async function checkName(ni: NodeInterfaces, name: string, exceptId = -1) {
  if (!NAME.test(name)) throw invalid({ name: [`"${name}" is not a valid interface name: up to 63 letters, digits and . : _ - characters.`] });
  if (ni.interfaces.some((i) => i.name === name && i.id !== exceptId)) throw invalid({ name: [`Interface name "${name}" is already in use on ${ni.node.hostname}.`] });
}

async function checkMac(q: Queryable, text: string | undefined, exceptId = -1): Promise<string> {
  const mac = text ? normalizeMac(text) : null;
  if (!mac) throw invalid({ mac_address: [text ? `'${text}' is not a valid MAC address.` : 'This field is required.'] });
  const owner = await interfacesRepo.macOwner(q, mac, exceptId);
  if (owner) throw invalid({ mac_address: [`MAC address ${mac} is already in use on ${owner.hostname} (${owner.name}).`] });
  return mac;
}

function bondParams(f: InterfaceFields, base: Record<string, unknown> = {}) {
  const d = DEFAULT_BOND_PARAMS;
  const cur = (k: string, v: unknown) => (base[k] ?? v);
  return {
    bond_mode: choice('bond_mode', f.bond_mode, BOND_MODES, cur('bond_mode', d.mode) as string),
    bond_miimon: range('bond_miimon', f.bond_miimon, 0, 1_000_000, cur('bond_miimon', d.miimon) as number),
    bond_downdelay: range('bond_downdelay', f.bond_downdelay, 0, 1_000_000, cur('bond_downdelay', d.downdelay) as number),
    bond_updelay: range('bond_updelay', f.bond_updelay, 0, 1_000_000, cur('bond_updelay', d.updelay) as number),
    bond_lacp_rate: choice('bond_lacp_rate', f.bond_lacp_rate, BOND_LACP_RATES, cur('bond_lacp_rate', d.lacp_rate) as string),
    bond_xmit_hash_policy: choice('bond_xmit_hash_policy', f.bond_xmit_hash_policy, BOND_XMIT_HASH_POLICIES, cur('bond_xmit_hash_policy', d.xmit_hash_policy) as string),
    bond_num_grat_arp: range('bond_num_grat_arp', f.bond_num_grat_arp, 0, 255, cur('bond_num_grat_arp', d.num_grat_arp) as number),
  };
}

function bridgeParams(f: InterfaceFields, base: Record<string, unknown> = {}) {
  const d = DEFAULT_BRIDGE_PARAMS;
  return {
    bridge_type: choice('bridge_type', f.bridge_type, BRIDGE_TYPES, (base.bridge_type as string) ?? d.bridge_type),
    bridge_stp: f.bridge_stp ?? (base.bridge_stp as boolean) ?? d.stp,
    bridge_fd: range('bridge_fd', f.bridge_fd, 0, 30, (base.bridge_fd as number) ?? d.fd),
  };
}

const withAcceptRa = (params: Record<string, unknown>, f: InterfaceFields) => (f.accept_ra === undefined ? params : { ...params, accept_ra: f.accept_ra });

function base(f: InterfaceFields, w: Partial<InterfaceWrite> & Pick<InterfaceWrite, 'name' | 'type' | 'mac_address' | 'vlan_id'>): InterfaceWrite {
  return {
    params: {}, tags: f.tags ?? [], mtu: mtuOf(f, null), parent_ids: [], enabled: true, link_connected: true,
    interface_speed: 0, link_speed: 0, ...w,
  };
}

type Creator = (q: Queryable, ni: NodeInterfaces, topo: Topology, f: InterfaceFields) => Promise<number>;

/** Runs one creation in a transaction; returns the node's interfaces afterwards and the new one's id. */
async function create(ctx: ServiceContext, actor: Actor, systemId: string, make: Creator, f: InterfaceFields) {
  return ctx.db.tx(async (q) => {
    const node = await findNode(q, actor, systemId, true);
    assertCanChange(actor, node, 'create', true);
    const ni = await nodeInterfaces(q, node);
    const id = await make(q, ni, await loadTopology(q), f);
    return { ...(await nodeInterfaces(q, node)), id };
  });
}

const physical: Creator = async (q, ni, topo, f) => {
  const mac = await checkMac(q, f.mac_address);
  let name = f.name;
  for (let n = 0; !name; n++) if (!ni.interfaces.some((i) => i.name === `eth${n}`)) name = `eth${n}`;
  await checkName(ni, name);
  return interfacesRepo.insert(q, ni.node.id, base(f, {
    name, type: 'physical', mac_address: mac, vlan_id: vlanId(topo, f.vlan, null), params: withAcceptRa({}, f),
  }));
};

/** A parent must be free: not already enslaved to another bond, bridge or VLAN interface's parent list. */
function assertFree(ni: NodeInterfaces, parents: InterfaceRow[], what: string, allowVlanChildren = false) {
  for (const p of parents) {
    const child = ni.interfaces.find((c) => (c.parent_ids ?? []).includes(p.id) && !(allowVlanChildren && c.type === 'vlan'));
    if (child) throw invalid({ parents: [`${p.name} is already a parent of ${child.name}; it cannot also be part of this ${what}.`] });
  }
}

const bond: Creator = async (q, ni, topo, f) => {
  if (!f.name) throw invalid({ name: ['This field is required.'] });
  if (!f.parents?.length) throw invalid({ parents: ['A bond needs at least one parent interface.'] });
  const parents = resolveParents(ni.interfaces, f.parents, 'parents');
  const notPhysical = parents.filter((p) => p.type !== 'physical');
  if (notPhysical.length) throw invalid({ parents: [`Only physical interfaces can be bonded; ${notPhysical.map((p) => `${p.name} is ${p.type}`).join(', ')}.`] });
  assertFree(ni, parents, 'bond');
  await checkName(ni, f.name);
  const vlan = vlanId(topo, f.vlan, parents[0].vlan_id);
  const mac = f.mac_address ? normalizeMac(f.mac_address) : parents[0].mac_address;
  if (!mac) throw invalid({ mac_address: [`'${f.mac_address}' is not a valid MAC address.`] });
  const id = await interfacesRepo.insert(q, ni.node.id, base(f, {
    name: f.name, type: 'bond', mac_address: mac, vlan_id: vlan, params: withAcceptRa(bondParams(f), f),
    parent_ids: parents.map((p) => p.id),
  }));
  // Enslaved interfaces carry no addresses of their own; they follow the bond's VLAN.
  for (const p of parents) {
    await addressesRepo.deleteForInterface(q, p.id);
    await interfacesRepo.setVlan(q, p.id, vlan);
  }
  return id;
};

const vlanIface: Creator = async (q, ni, topo, f) => {
  if (!f.vlan) throw invalid({ vlan: ['This field is required.'] });
  if (!f.parent) throw invalid({ parent: ['This field is required.'] });
  const [parent] = resolveParents(ni.interfaces, [f.parent], 'parent');
  const vlan = topo.vlans.get(vlanId(topo, f.vlan, null)!)!;
  const parentVlan = parent.vlan_id === null ? undefined : topo.vlans.get(parent.vlan_id);
  if (vlan.vid === 0) throw invalid({ vlan: ['A VLAN interface can only belong to a tagged VLAN (vid 1-4094), not the untagged one.'] });
  if (!parentVlan) throw invalid({ parent: [`${parent.name} is disconnected; connect it to a VLAN of fabric ${topo.fabrics.get(vlan.fabric_id)?.name} first.`] });
  if (parentVlan.fabric_id !== vlan.fabric_id) {
    throw invalid({ vlan: [`VLAN ${vlan.vid} is on fabric ${topo.fabrics.get(vlan.fabric_id)?.name}, but ${parent.name} is on fabric ${topo.fabrics.get(parentVlan.fabric_id)?.name}.`] });
  }
  const dup = ni.interfaces.find((i) => i.type === 'vlan' && i.vlan_id === vlan.id && (i.parent_ids ?? []).includes(parent.id));
  if (dup) throw invalid({ vlan: [`${dup.name} already puts ${parent.name} on VLAN ${vlan.vid}.`] });
  const name = `${parent.name}.${vlan.vid}`;
  await checkName(ni, name);
  return interfacesRepo.insert(q, ni.node.id, base(f, {
    name, type: 'vlan', mac_address: parent.mac_address, vlan_id: vlan.id, params: withAcceptRa({}, f), parent_ids: [parent.id],
  }));
};

const bridge: Creator = async (q, ni, topo, f) => {
  if (!f.parent) throw invalid({ parent: ['A bridge needs a parent interface.'] });
  const [parent] = resolveParents(ni.interfaces, [f.parent], 'parent');
  assertFree(ni, [parent], 'bridge', true);
  const name = f.name || `br-${parent.name}`;
  await checkName(ni, name);
  const mac = f.mac_address ? normalizeMac(f.mac_address) : parent.mac_address;
  if (!mac) throw invalid({ mac_address: [`'${f.mac_address}' is not a valid MAC address.`] });
  const id = await interfacesRepo.insert(q, ni.node.id, base(f, {
    name, type: 'bridge', mac_address: mac, vlan_id: vlanId(topo, f.vlan, parent.vlan_id), params: withAcceptRa(bridgeParams(f), f),
    parent_ids: [parent.id],
  }));
  // The bridge takes over the parent's addresses (an enslaved port has none of its own).
  await addressesRepo.moveLinks(q, parent.id, id);
  return id;
};

export const createPhysical = (ctx: ServiceContext, actor: Actor, sid: string, f: InterfaceFields) => create(ctx, actor, sid, physical, f);
export const createBond = (ctx: ServiceContext, actor: Actor, sid: string, f: InterfaceFields) => create(ctx, actor, sid, bond, f);
export const createVlanInterface = (ctx: ServiceContext, actor: Actor, sid: string, f: InterfaceFields) => create(ctx, actor, sid, vlanIface, f);
export const createBridge = (ctx: ServiceContext, actor: Actor, sid: string, f: InterfaceFields) => create(ctx, actor, sid, bridge, f);

/** Runs an edit of one interface in a transaction; returns the node's interfaces afterwards. */
export async function editInterface(ctx: ServiceContext, actor: Actor, sid: string, id: string, verb: string, structural: boolean,
  fn: (q: Queryable, ni: NodeInterfaces, iface: InterfaceRow, topo: Topology) => Promise<void>): Promise<NodeInterfaces & { id: number }> {
  return ctx.db.tx(async (q) => {
    const node = await findNode(q, actor, sid, true);
    const ni = await nodeInterfaces(q, node);
    const iface = interfaceOf(ni, id);
    assertCanChange(actor, node, verb, structural);
    await fn(q, ni, iface, await loadTopology(q));
    return { ...(await nodeInterfaces(q, node)), id: iface.id };
  });
}

export const updateInterface = (ctx: ServiceContext, actor: Actor, sid: string, id: string, f: InterfaceFields) =>
  editInterface(ctx, actor, sid, id, 'update', true, async (q, ni, i, topo) => {
    if (f.name !== undefined) await checkName(ni, f.name, i.id);
    const mac = f.mac_address === undefined ? i.mac_address : i.type === 'physical' ? await checkMac(q, f.mac_address, i.id) : normalizeMac(f.mac_address);
    if (!mac && f.mac_address !== undefined) throw invalid({ mac_address: [`'${f.mac_address}' is not a valid MAC address.`] });
    let parentIds = i.parent_ids ?? [];
    if (i.type === 'bond' && f.parents?.length) {
      const ps = resolveParents(ni.interfaces, f.parents, 'parents');
      assertFree({ ...ni, interfaces: ni.interfaces.filter((x) => x.id !== i.id) }, ps, 'bond');
      parentIds = ps.map((p) => p.id);
      for (const p of ps.filter((x) => !(i.parent_ids ?? []).includes(x.id))) await addressesRepo.deleteForInterface(q, p.id); // newly enslaved
    }
    const vlan = vlanId(topo, f.vlan, i.vlan_id);
    if (i.type === 'vlan' && vlan !== i.vlan_id) {
      const v = vlan === null ? undefined : topo.vlans.get(vlan);
      const old = i.vlan_id === null ? undefined : topo.vlans.get(i.vlan_id);
      if (!v || v.vid === 0 || v.fabric_id !== old?.fabric_id) throw invalid({ vlan: ['A VLAN interface can only move to another tagged VLAN of the same fabric.'] });
    }
    let params: Record<string, unknown> = i.params;
    if (i.type === 'bond') params = { ...params, ...bondParams(f, i.params) };
    if (i.type === 'bridge') params = { ...params, ...bridgeParams(f, i.params) };
    await interfacesRepo.update(q, i.id, {
      name: f.name ?? i.name, type: i.type, mac_address: mac, vlan_id: vlan, params: withAcceptRa(params, f), tags: f.tags ?? i.tags,
      mtu: mtuOf(f, i.mtu), parent_ids: parentIds, enabled: i.enabled, link_connected: f.link_connected ?? i.link_connected,
      interface_speed: f.interface_speed ?? i.interface_speed, link_speed: f.link_speed ?? i.link_speed,
    });
    if (vlan !== i.vlan_id) await dropLinksOffVlan(q, topo, i.id, vlan);
  });

/** After a VLAN change: links to subnets of other VLANs no longer make sense. */
async function dropLinksOffVlan(q: Queryable, topo: Topology, ifaceId: number, vlan: number | null) {
  for (const l of await addressesRepo.byInterfaces(q, [ifaceId])) {
    const s = l.subnet_id === null ? undefined : topo.subnets.get(l.subnet_id);
    if (vlan === null || (s && s.vlan_id !== vlan)) await addressesRepo.delete(q, l.id);
  }
}

export const deleteInterface = (ctx: ServiceContext, actor: Actor, sid: string, id: string) =>
  editInterface(ctx, actor, sid, id, 'delete', true, async (q, ni, i) => {
    const children = ni.interfaces.filter((c) => (c.parent_ids ?? []).includes(i.id));
    if (children.length) throw invalid({ __all__: [`Cannot delete ${i.name}: it is a parent of ${children.map((c) => c.name).join(', ')}; delete those first.`] });
    await interfacesRepo.delete(q, i.id);
  });

/** Removes every link and the VLAN: the interface is no longer connected to anything. */
export const disconnectInterface = (ctx: ServiceContext, actor: Actor, sid: string, id: string) =>
  editInterface(ctx, actor, sid, id, 'disconnect', true, async (q, _ni, i) => {
    await addressesRepo.deleteForInterface(q, i.id);
    await interfacesRepo.setVlan(q, i.id, null);
  });

export const tagInterface = (ctx: ServiceContext, actor: Actor, sid: string, id: string, tag: string | undefined, add: boolean) =>
  editInterface(ctx, actor, sid, id, add ? 'tag' : 'untag', true, async (q, _ni, i) => {
    if (!tag) throw invalid({ tag: ['This field is required.'] });
    const tags = add ? [...new Set([...i.tags, tag])] : i.tags.filter((t) => t !== tag);
    await interfacesRepo.setTags(q, i.id, tags);
  });
