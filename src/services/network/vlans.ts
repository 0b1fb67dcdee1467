/**
 * VLANs: create on a fabric, update (DHCP switch, racks, relay, space, MTU), delete. Every change is
 * checked by the domain's validateVlan against the whole topology: turning DHCP on needs a primary rack
 * (a node with node_type 2 or 4) and a dynamic range on a managed subnet of the VLAN.
 */
import { badRequest, conflict, invalid } from '../../domain/errors.ts';
import type { IpRange, Subnet, Vlan } from '../../domain/network/types.ts';
import { validateVlan } from '../../domain/network/validate.ts';
import { loadTopology, racksRepo, RACK_NODE_TYPES, vlansRepo, type SubnetRow, type Topology, type VlanRow, type VlanWrite } from '../../store/repos/network.ts';
import { rangesRepo, type IpRangeRow } from '../../store/repos/network-subnets.ts';
import type { Actor, Queryable, ServiceContext } from '../context.ts';
import { requireAdmin, throwIssues } from './common.ts';
import { DEFAULT_MTU } from './fabrics.ts';
import { findSpaces, findVlans, getFabric, getVlan, getVlanOfFabric } from './lookup.ts';

export interface VlanFields {
  vid?: number; name?: string; description?: string; mtu?: number; dhcp_on?: boolean;
  primary_rack?: string; secondary_rack?: string; relay_vlan?: string; space?: string;
}

/** A VLAN by `vlans/{id}/` or by `fabrics/{fabric}/vlans/{vid}/`. */
export type VlanKey = { id: string } | { fabric: string; vid: string };

export async function findVlan(q: Queryable, key: VlanKey, topo?: Topology): Promise<VlanRow> {
  return 'id' in key ? getVlan(q, key.id, topo) : getVlanOfFabric(q, key.fabric, key.vid, topo);
}
export const getVlanByKey = (ctx: ServiceContext, key: VlanKey) => findVlan(ctx.db, key);

export const asDomainSubnet = (s: SubnetRow): Subnet =>
  ({ ...s, rdns_mode: s.rdns_mode as Subnet['rdns_mode'], ipv6_address_mode: s.ipv6_address_mode as Subnet['ipv6_address_mode'] });
export const asDomainRange = (r: IpRangeRow): IpRange =>
  ({ id: r.id, subnet_id: r.subnet_id, type: r.type, start_ip: r.start_ip, end_ip: r.end_ip, comment: r.comment, user: r.username });

async function rackId(q: Queryable, field: string, systemId: string | undefined, current: number | null): Promise<number | null> {
  if (systemId === undefined) return current;
  if (systemId === '' || systemId.toLowerCase() === 'none') return null;
  const node = await racksRepo.bySystemId(q, systemId);
  if (!node) throw invalid({ [field]: [`No rack controller has system_id '${systemId}'.`] });
  if (!RACK_NODE_TYPES.includes(node.node_type)) {
    throw invalid({ [field]: [`Node '${systemId}' is not a rack controller (node_type ${node.node_type}); only rack controllers (node_type 2 or 4) serve DHCP.`] });
  }
  return node.id;
}

function spaceId(topo: Topology, spec: string | undefined, current: number | null): number | null {
  if (spec === undefined) return current;
  if (spec === '' || spec === 'undefined' || spec === '-1') return null;
  const found = findSpaces(topo, spec);
  if (found.length !== 1) throw invalid({ space: [`Space '${spec}' does not exist.`] });
  return found[0].id;
}

function relayId(topo: Topology, spec: string | undefined, current: number | null): number | null {
  if (spec === undefined) return current;
  if (spec === '' || spec.toLowerCase() === 'none') return null;
  const found = findVlans(topo, spec);
  if (found.length !== 1) throw invalid({ relay_vlan: [`Relay VLAN ${spec} does not exist.`] });
  return found[0].id;
}

async function check(q: Queryable, topo: Topology, draft: Omit<Vlan, 'id'> & { id?: number }) {
  const ranges = (await rangesRepo.list(q)).map(asDomainRange);
  const vlans = [...topo.vlans.values()].filter((v) => v.id !== draft.id);
  throwIssues(validateVlan(draft, {
    vlans, subnets: [...topo.subnets.values()].map(asDomainSubnet), ranges,
    fabricName: topo.fabrics.get(draft.fabric_id)?.name,
  }));
}

const rackSystemId = (q: Queryable, id: number | null) => racksRepo.systemId(q, id);

export async function createVlan(ctx: ServiceContext, actor: Actor, fabricSpec: string, f: VlanFields): Promise<VlanRow> {
  requireAdmin(actor);
  if (f.vid === undefined) throw invalid({ vid: ['This field is required.'] });
  return ctx.db.tx(async (q) => {
    const topo = await loadTopology(q);
    const fabric = await getFabric(q, fabricSpec, topo);
    const w: VlanWrite = {
      name: f.name ?? '', description: f.description ?? '', mtu: f.mtu ?? DEFAULT_MTU, dhcp_on: false,
      space_id: spaceId(topo, f.space, null), relay_vlan_id: null, primary_rack_id: null, secondary_rack_id: null,
    };
    await check(q, topo, { ...w, fabric_id: fabric.id, vid: f.vid!, external_dhcp: null, primary_rack: null, secondary_rack: null });
    return vlansRepo.insert(q, fabric.id, f.vid!, w);
  });
}

export async function updateVlan(ctx: ServiceContext, actor: Actor, key: VlanKey, f: VlanFields): Promise<VlanRow> {
  requireAdmin(actor);
  return ctx.db.tx(async (q) => {
    const found = await findVlan(q, key);
    await vlansRepo.lock(q, found.id);
    const topo = await loadTopology(q);
    const v = topo.vlans.get(found.id)!;
    const w: VlanWrite = {
      name: f.name ?? v.name, description: f.description ?? v.description, mtu: f.mtu ?? v.mtu, dhcp_on: f.dhcp_on ?? v.dhcp_on,
      space_id: spaceId(topo, f.space, v.space_id), relay_vlan_id: relayId(topo, f.relay_vlan, v.relay_vlan_id),
      primary_rack_id: await rackId(q, 'primary_rack', f.primary_rack, v.primary_rack_id),
      secondary_rack_id: await rackId(q, 'secondary_rack', f.secondary_rack, v.secondary_rack_id),
    };
    await check(q, topo, {
      ...v, ...w, primary_rack: await rackSystemId(q, w.primary_rack_id), secondary_rack: await rackSystemId(q, w.secondary_rack_id),
    });
    return vlansRepo.update(q, v.id, w);
  });
}

export async function deleteVlan(ctx: ServiceContext, actor: Actor, key: VlanKey): Promise<void> {
  requireAdmin(actor);
  await ctx.db.tx(async (q) => {
    const topo = await loadTopology(q);
    const v = await findVlan(q, key, topo);
    const fabric = topo.fabrics.get(v.fabric_id)!;
    if (v.vid === 0) throw badRequest(`This VLAN is the default (untagged) VLAN of fabric ${fabric.name}; it cannot be deleted.`);
    const subnets = [...topo.subnets.values()].filter((s) => s.vlan_id === v.id);
    if (subnets.length) throw conflict(`Can't delete VLAN ${v.vid} on ${fabric.name}: subnet(s) ${subnets.map((s) => s.cidr).join(', ')} are still on it; delete or move them first.`);
    const relaying = [...topo.vlans.values()].filter((x) => x.relay_vlan_id === v.id);
    if (relaying.length) throw conflict(`Can't delete VLAN ${v.vid} on ${fabric.name}: VLAN(s) ${relaying.map((x) => x.id).join(', ')} relay DHCP to it.`);
    await vlansRepo.delete(q, v.id);
  });
}

/** VLANs of a fabric, for `fabrics/{id}/vlans/`. */
export async function listFabricVlans(ctx: ServiceContext, fabricSpec: string): Promise<VlanRow[]> {
  const topo = await loadTopology(ctx.db);
  const fabric = await getFabric(ctx.db, fabricSpec, topo);
  return [...topo.vlans.values()].filter((v) => v.fabric_id === fabric.id).sort((a, b) => a.vid - b.vid);
}

/**
 * Keeps a DHCP-enabled VLAN servable: refuses to remove the last dynamic range of its managed subnets
 * (by deleting range `rangeId`, or deleting or moving away subnet `subnetId`). Locks the VLAN row, so
 * it serialises with updateVlan turning DHCP on.
 */
export async function assertDhcpKeepsRange(q: Queryable, vlanId: number, without: { rangeId?: number; subnetId?: number }): Promise<void> {
  await vlansRepo.lock(q, vlanId);
  const topo = await loadTopology(q);
  const v = topo.vlans.get(vlanId);
  if (!v || !v.dhcp_on) return;
  const subnets = [...topo.subnets.values()].filter((s) => s.vlan_id === vlanId && s.managed && s.id !== without.subnetId);
  const ranges = await rangesRepo.bySubnets(q, subnets.map((s) => s.id));
  if (ranges.some((r) => r.type === 'dynamic' && r.id !== without.rangeId)) return;
  const what = without.rangeId !== undefined ? 'this is its last dynamic range' : 'this subnet holds its last dynamic range';
  throw conflict(`DHCP is enabled on VLAN ${v.vid} of ${topo.fabrics.get(v.fabric_id)?.name}, which needs a dynamic range, and ${what}. Turn DHCP off first (dhcp_on=false).`);
}
