/**
 * `ipaddresses/`: users reserve addresses (a given one, or the lowest free one of a subnet), release
 * them, and list what they hold. Reservations can carry a DNS name (hostname=) and a MAC (mac=).
 */
import { forbidden, invalid, notFound } from '../../domain/errors.ts';
import { normalizeMac } from '../../domain/machine/mac.ts';
import { formatIp, tryParseIp } from '../../domain/network/ip.ts';
import { AllocType } from '../../domain/network/types.ts';
import type { InterfaceRow } from '../../store/repos/machines.ts';
import { loadTopology } from '../../store/repos/network.ts';
import { interfacesRepo, loadInterfacesNetwork, type NetworkView } from '../../store/repos/network-interfaces.ts';
import { addressesRepo, type IpAddressView } from '../../store/repos/network-ips.ts';
import type { Actor, Queryable, ServiceContext } from '../context.ts';
import { chooseAddress } from './allocate.ts';
import { attachName } from './dnsresources.ts';
import { getSubnet, subnetOf } from './lookup.ts';

/** Addresses with what renders them: the interfaces holding them (with their nodes' siblings) and links. */
export interface AddressListing { items: IpAddressView[]; interfaces: InterfaceRow[]; net: NetworkView }

export async function addressListing(q: Queryable, items: IpAddressView[]): Promise<AddressListing> {
  const nodeIds = [...new Set(items.filter((a) => a.interface_id !== null).map((a) => a.node_id!))];
  const interfaces = nodeIds.length ? await interfacesRepo.byNodes(q, nodeIds) : [];
  return { items, interfaces, net: await loadInterfacesNetwork(q, interfaces.map((i) => i.id)) };
}

export interface ReserveFields { subnet?: string; ip?: string; hostname?: string; mac?: string }

export async function reserveAddress(ctx: ServiceContext, actor: Actor, f: ReserveFields): Promise<AddressListing> {
  const wanted = f.ip?.trim() || undefined;
  let mac: string | null = null;
  if (f.mac !== undefined && f.mac !== '') {
    mac = normalizeMac(f.mac);
    if (!mac) throw invalid({ mac: [`'${f.mac}' is not a valid MAC address.`] });
  }
  if (!f.subnet && !wanted) throw invalid({ subnet: ['Either subnet or ip must be specified.'] });
  return ctx.db.tx(async (q) => {
    const topo = await loadTopology(q);
    let subnet;
    if (f.subnet) subnet = await getSubnet(q, f.subnet, topo).catch(() => { throw invalid({ subnet: [`Subnet ${f.subnet} does not exist.`] }); });
    else {
      const a = tryParseIp(wanted!);
      if (!a) throw invalid({ ip: [`"${wanted}" is not a valid IP address.`] });
      subnet = subnetOf(topo, formatIp(a));
      if (!subnet) throw invalid({ ip: [`No subnet contains ${formatIp(a)}; create the subnet first, or name one with subnet=.`] });
    }
    const ip = await chooseAddress(q, subnet, wanted, 'ip');
    const row = await addressesRepo.insert(q, { ip, alloc_type: AllocType.USER_RESERVED, subnet_id: subnet.id, user_id: actor.id, mac_address: mac });
    if (f.hostname) await attachName(q, f.hostname, row.id, 'hostname');
    return addressListing(q, await addressesRepo.views(q, 'a.id = $1', [row.id]));
  });
}

export interface ReleaseFields { ip: string; force?: boolean; discovered?: boolean }

export async function releaseAddress(ctx: ServiceContext, actor: Actor, f: ReleaseFields): Promise<void> {
  const a = tryParseIp(f.ip.trim());
  if (!a) throw invalid({ ip: [`"${f.ip}" is not a valid IP address.`] });
  const ip = formatIp(a);
  if (f.force && !actor.isAdmin) throw forbidden('Only administrators can force the release of an address.');
  await ctx.db.tx(async (q) => {
    const row = await addressesRepo.byIp(q, ip);
    const mine = row && row.alloc_type === AllocType.USER_RESERVED && row.user_id === actor.id;
    const observed = row && row.alloc_type === AllocType.DISCOVERED && f.discovered;
    if (!row || (!f.force && !mine && !observed)) {
      throw notFound(f.discovered ? `No discovered IP address ${ip} is known.` : `IP address ${ip} is not reserved by ${actor.username}.`);
    }
    // An auto link keeps its place (it gets a new address at the next deployment); anything else goes.
    if (row.alloc_type === AllocType.AUTO && row.interface_id !== null) await addressesRepo.setIp(q, row.id, null);
    else await addressesRepo.delete(q, row.id);
  });
}

export interface ListFields { ip?: string; all?: boolean; owner?: string }

/** The caller's reservations; admins may ask for all addresses (`all`) or a user's (`owner`). */
export async function listAddresses(ctx: ServiceContext, actor: Actor, f: ListFields): Promise<AddressListing> {
  if ((f.all || f.owner) && !actor.isAdmin) throw forbidden('Only administrators can list other users\' addresses.');
  const where: string[] = ['a.ip is not null'];
  const params: unknown[] = [];
  if (f.owner) { params.push(f.owner); where.push(`u.username = $${params.length}`); }
  else if (!f.all) { params.push(actor.id); where.push(`a.user_id = $${params.length}`, `a.alloc_type = ${AllocType.USER_RESERVED}`); }
  if (f.ip) {
    const a = tryParseIp(f.ip.trim());
    if (!a) throw invalid({ ip: [`"${f.ip}" is not a valid IP address.`] });
    params.push(formatIp(a));
    where.push(`a.ip = $${params.length}`);
  }
  return addressListing(ctx.db, await addressesRepo.views(ctx.db, where.join(' and '), params));
}
