/**
 * Links of interfaces to subnets (MAAS link_subnet / unlink_subnet / set_default_gateway), and the
 * deploy-time claim of addresses for AUTO links.
 *
 * - AUTO: an address row without an IP; claimAutoAddresses gives it the subnet's lowest free address.
 * - STATIC: the given ip_address (checked by the domain's IPAM) or, without one, the lowest free one.
 * - DHCP: the address comes from a lease; LINK_UP: no address (subnet optional).
 */
import { invalid, noMatch } from '../../domain/errors.ts';
import { AllocType } from '../../domain/network/types.ts';
import { nodesRepo, type NodeRow } from '../../store/repos/machines.ts';
import { loadTopology, type SubnetRow, type Topology } from '../../store/repos/network.ts';
import { interfacesRepo } from '../../store/repos/network-interfaces.ts';
import { addressesRepo, gatewaysRepo, linkMode, type IpAddressRow } from '../../store/repos/network-ips.ts';
import type { Actor, Queryable, ServiceContext } from '../context.ts';
import { chooseAddress } from './allocate.ts';
import { editInterface } from './interfaces.ts';
import { findSubnets } from './lookup.ts';

const MODES = ['AUTO', 'DHCP', 'STATIC', 'LINK_UP'] as const;

export interface LinkFields { mode?: string; subnet?: string; ip_address?: string; force?: boolean; default_gateway?: boolean }

const family = (s: SubnetRow) => (s.cidr.includes(':') ? 6 : 4) as 4 | 6;

function subnetFor(topo: Topology, spec: string | undefined, required: boolean): SubnetRow | undefined {
  if (spec === undefined || spec === '') {
    if (required) throw invalid({ subnet: ['This field is required.'] });
    return undefined;
  }
  const found = findSubnets(topo, spec);
  if (found.length !== 1) throw invalid({ subnet: [`Subnet ${spec} does not exist.`] });
  return found[0];
}

export const linkSubnet = (ctx: ServiceContext, actor: Actor, sid: string, id: string, f: LinkFields) =>
  editInterface(ctx, actor, sid, id, 'link', false, async (q, ni, iface, topo) => {
    const mode = (f.mode ?? '').toUpperCase();
    if (!(MODES as readonly string[]).includes(mode)) {
      throw invalid({ mode: [f.mode ? `Select a valid choice. ${f.mode} is not one of the available choices (${MODES.join(', ')}).` : 'This field is required.'] });
    }
    const master = ni.interfaces.find((c) => (c.type === 'bond' || c.type === 'bridge') && (c.parent_ids ?? []).includes(iface.id));
    if (master) throw invalid({ __all__: [`${iface.name} is part of ${master.type} ${master.name}; link ${master.name} instead.`] });
    const subnet = subnetFor(topo, f.subnet, mode === 'AUTO' || mode === 'STATIC');
    if (f.ip_address && mode !== 'STATIC') throw invalid({ ip_address: [`ip_address can only be given in STATIC mode, not ${mode}.`] });
    if (f.default_gateway && mode !== 'AUTO' && mode !== 'STATIC') throw invalid({ default_gateway: [`Cannot use in mode '${mode}'; only AUTO and STATIC links can be the default gateway.`] });
    if (f.default_gateway && !subnet?.gateway_ip) throw invalid({ default_gateway: [`Subnet ${subnet?.cidr} has no gateway_ip, so it cannot provide the default gateway.`] });
    const existing = await addressesRepo.byInterfaces(q, [iface.id]);
    if (subnet && iface.vlan_id !== subnet.vlan_id) {
      const elsewhere = existing.filter((l) => l.subnet_id !== null && topo.subnets.get(l.subnet_id)?.vlan_id !== subnet.vlan_id);
      if (elsewhere.length) {
        throw invalid({ subnet: [`${iface.name} has links on another VLAN (${elsewhere.map((l) => topo.subnets.get(l.subnet_id!)?.cidr).join(', ')}); subnet ${subnet.cidr} is on a different one. Unlink those first.`] });
      }
      await interfacesRepo.setVlan(q, iface.id, subnet.vlan_id); // the interface follows the subnet's VLAN
    }
    if (mode === 'LINK_UP') {
      const others = existing.filter((l) => linkMode(l) !== 'link_up');
      if (others.length && !f.force) throw invalid({ mode: [`Cannot configure ${iface.name} as LINK_UP: it already has ${others.length} other link(s); unlink them or pass force=true to replace them.`] });
      for (const l of existing) await addressesRepo.delete(q, l.id);
    } else {
      for (const l of existing) if (linkMode(l) === 'link_up') await addressesRepo.delete(q, l.id); // a real link replaces link-up
    }
    const base = { subnet_id: subnet?.id ?? null, node_id: ni.node.id, interface_id: iface.id };
    let row: IpAddressRow;
    if (mode === 'STATIC') row = await addressesRepo.insert(q, { ...base, alloc_type: AllocType.STICKY, ip: await chooseAddress(q, subnet!, f.ip_address, 'ip_address') });
    else if (mode === 'AUTO') row = await addressesRepo.insert(q, { ...base, alloc_type: AllocType.AUTO, ip: null });
    else if (mode === 'DHCP') row = await addressesRepo.insert(q, { ...base, alloc_type: AllocType.DHCP, ip: null });
    else row = await addressesRepo.insert(q, { ...base, alloc_type: AllocType.STICKY, ip: null });
    if (f.default_gateway) await gatewaysRepo.set(q, ni.node.id, family(subnet!), row.id);
  });

export const unlinkSubnet = (ctx: ServiceContext, actor: Actor, sid: string, id: string, linkId: number | undefined) =>
  editInterface(ctx, actor, sid, id, 'unlink', false, async (q, _ni, iface) => {
    if (linkId === undefined) throw invalid({ id: ['This field is required.'] });
    const link = (await addressesRepo.byInterfaces(q, [iface.id])).find((l) => l.id === linkId);
    if (!link) throw invalid({ id: [`${iface.name} has no link with id ${linkId}.`] });
    await addressesRepo.delete(q, link.id); // a default-gateway choice pointing at it is cleared by its foreign key
  });

/** The link (or, without link_id, the interface's first usable link per family) becomes the node's default gateway. */
export const setDefaultGateway = (ctx: ServiceContext, actor: Actor, sid: string, id: string, linkId: number | undefined) =>
  editInterface(ctx, actor, sid, id, 'set the default gateway of', false, async (q, ni, iface, topo) => {
    const links = await addressesRepo.byInterfaces(q, [iface.id]);
    const usable = (l: IpAddressRow) => {
      const s = l.subnet_id === null ? undefined : topo.subnets.get(l.subnet_id);
      return s && s.gateway_ip && (linkMode(l) === 'auto' || linkMode(l) === 'static') ? s : undefined;
    };
    if (linkId !== undefined) {
      const link = links.find((l) => l.id === linkId);
      if (!link) throw invalid({ link_id: [`${iface.name} has no link with id ${linkId}.`] });
      const s = usable(link);
      if (!s) throw invalid({ link_id: [`Link ${linkId} cannot provide a gateway: it must be an AUTO or STATIC link to a subnet with a gateway_ip.`] });
      await gatewaysRepo.set(q, ni.node.id, family(s), link.id);
      return;
    }
    let done = 0;
    for (const fam of [4, 6] as const) {
      const link = links.find((l) => usable(l) && family(usable(l)!) === fam);
      if (link) { await gatewaysRepo.set(q, ni.node.id, fam, link.id); done++; }
    }
    if (!done) throw invalid({ __all__: ['This interface has no usable gateways.'] });
  });

/**
 * Gives every AUTO link of the node without an address the lowest free address of its subnet (what
 * deployment does). Returns the addresses assigned. Runs in the caller's transaction.
 */
export async function claimAutoAddresses(q: Queryable, node: Pick<NodeRow, 'id'>, topo: Topology): Promise<string[]> {
  const out: string[] = [];
  for (const l of await addressesRepo.byNodes(q, [node.id])) {
    if (l.alloc_type !== AllocType.AUTO || l.ip !== null || l.subnet_id === null) continue;
    const ip = await chooseAddress(q, topo.subnets.get(l.subnet_id)!, undefined, 'ip_address');
    await addressesRepo.setIp(q, l.id, ip);
    out.push(ip);
  }
  return out;
}

/** Returns AUTO links' addresses to the pool (what release does); the links stay. */
export async function releaseAutoAddresses(q: Queryable, node: Pick<NodeRow, 'id'>): Promise<void> {
  for (const l of await addressesRepo.byNodes(q, [node.id])) if (l.alloc_type === AllocType.AUTO && l.ip !== null) await addressesRepo.setIp(q, l.id, null);
}

/** claimAutoAddresses in its own transaction, for a node by system_id. */
export async function claimDeploymentAddresses(ctx: ServiceContext, systemId: string): Promise<string[]> {
  return ctx.db.tx(async (q) => {
    const node = await nodesRepo.bySystemId(q, systemId, true);
    if (!node) throw noMatch('Node');
    return claimAutoAddresses(q, node, await loadTopology(q));
  });
}
