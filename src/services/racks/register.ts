/**
 * A rack says hello: create or update its node (node_type 2) and interfaces, and place them in the
 * network model as MAAS does for a controller's interfaces — an address inside a known subnet puts
 * the interface on that subnet's VLAN; an address in no known subnet gets a new fabric (for a
 * physical interface) or the parent's fabric and the tagged VLAN (for a VLAN interface) and a new
 * subnet. Every address is recorded as a STICKY (static) link of its interface.
 */
import { randomInt } from 'node:crypto';
import { conflict } from '../../domain/errors.ts';
import { normalizeMac } from '../../domain/machine/mac.ts';
import { systemIdFromInt, SYSTEM_ID_SPAN } from '../../domain/machine/system-id.ts';
import { contains, formatCidr, formatIp, isLinkLocal, parseInterfaceAddress } from '../../domain/network/ip.ts';
import { AllocType } from '../../domain/network/types.ts';
import { EventLevel } from '../../domain/events.ts';
import { interfacesRepo } from '../../store/repos/network-interfaces.ts';
import { addressesRepo } from '../../store/repos/network-ips.ts';
import { fabricsRepo, loadTopology, vlansRepo, type SubnetRow, type Topology } from '../../store/repos/network.ts';
import { subnetsRepo } from '../../store/repos/network-subnets.ts';
import { domainsRepo, zonesRepo } from '../../store/repos/places.ts';
import type { Queryable, ServiceContext } from '../context.ts';
import { recordEvent } from '../events.ts';
import { lockSubnet } from '../network/allocate.ts';
import { DEFAULT_MTU } from '../network/fabrics.ts';

export interface RackHello {
  system_id?: string;
  hostname: string;
  version: string;
  interfaces: Array<{ name: string; mac: string; addresses: string[]; vid?: number; parent?: string }>;
}

interface NodeRef { id: number; system_id: string; node_type: number; hostname: string }

const REGISTER_LOCK = 0x504c5252; // 'PLRR': one registration at a time, so two racks never both create a subnet

async function findNode(q: Queryable, h: RackHello, macs: string[]): Promise<NodeRef | undefined> {
  const cols = 'n.id, n.system_id, n.node_type, n.hostname';
  if (h.system_id) {
    const r = (await q.query<NodeRef>(`select ${cols} from nodes n where n.system_id = $1 and n.node_type in (2, 3, 4)`, [h.system_id]))[0];
    if (r) return r;
  }
  if (macs.length) {
    const r = (await q.query<NodeRef>(`select ${cols} from nodes n join interfaces i on i.node_id = n.id
      where i.type = 'physical' and i.mac_address = any($1::text[]) order by n.id limit 1`, [macs]))[0];
    if (r) return r;
  }
  return (await q.query<NodeRef>(`select ${cols} from nodes n where n.hostname = $1 and n.node_type in (2, 4) limit 1`, [h.hostname]))[0];
}

async function createNode(q: Queryable, hostname: string): Promise<NodeRef> {
  const domain = (await domainsRepo.default(q))!;
  const zone = (await zonesRepo.byName(q, 'default'))!;
  const taken = await q.query<{ node_type: number }>('select node_type from nodes where hostname = $1 and domain_id = $2', [hostname, domain.id]);
  if (taken.length) throw conflict(`A node named ${hostname} already exists; rename the rack host or delete that node.`);
  for (;;) {
    const sid = systemIdFromInt(randomInt(SYSTEM_ID_SPAN));
    if ((await q.query('select 1 from nodes where system_id = $1', [sid])).length) continue;
    return (await q.query<NodeRef>(
      `insert into nodes (system_id, node_type, hostname, domain_id, zone_id, netboot)
       values ($1, 2, $2, $3, $4, false) returning id, system_id, node_type, hostname`, [sid, hostname, domain.id, zone.id]))[0];
  }
}

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

export async function registerRack(ctx: ServiceContext, h: RackHello, link: { region: string }): Promise<{ system_id: string; hostname: string; created: boolean }> {
  const macs = h.interfaces.map((i) => normalizeMac(i.mac)).filter((m): m is string => !!m);
  const result = await ctx.db.tx(async (q) => {
    await q.query('select pg_advisory_xact_lock($1::int)', [REGISTER_LOCK]);
    let node = await findNode(q, h, macs);
    const created = !node;
    if (!node) node = await createNode(q, h.hostname);
    else {
      // A machine or device that starts a rack becomes a rack controller (a region becomes region+rack).
      const type = node.node_type === 3 || node.node_type === 4 ? 4 : 2;
      await q.query('update nodes set node_type = $2, updated = now() where id = $1', [node.id, type]);
    }
    const topo = await loadTopology(q);
    const existing = await interfacesRepo.byNode(q, node.id);
    const reported = new Set(h.interfaces.map((i) => i.name));
    for (const gone of existing.filter((i) => !reported.has(i.name))) await interfacesRepo.delete(q, gone.id);
    const ids = new Map<string, number>();
    const vlanOf = new Map<string, number>();
    // Parents before their VLAN interfaces.
    const ordered = [...h.interfaces].sort((a, b) => Number(a.vid !== undefined) - Number(b.vid !== undefined));
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
      for (const p of placed) {
        const subnet = p.subnet ?? await newSubnet(q, topo, p.cidr, vlanId);
        await lockSubnet(q, subnet.id);
        const holder = await addressesRepo.byIp(q, p.ip);
        if (holder) { ctx.log.warn({ system_id: node.system_id, ip: p.ip }, 'rack address already held by another assignment; not recorded'); continue; }
        await addressesRepo.insert(q, { ip: p.ip, alloc_type: AllocType.STICKY, subnet_id: subnet.id, node_id: node.id, interface_id: id });
      }
    }
    await q.query('update nodes set hostname = $2, updated = now() where id = $1 and hostname <> $2', [node.id, h.hostname]);
    await q.query(
      `insert into rack_status (node_id, version, connected, region, connected_at, last_seen) values ($1, $2, true, $3, now(), now())
       on conflict (node_id) do update set version = excluded.version, connected = true, region = excluded.region,
         connected_at = now(), last_seen = now()`, [node.id, h.version, link.region]);
    if (created) {
      await recordEvent(q, { nodeId: node.id, hostname: h.hostname, username: '', level: EventLevel.INFO, typeName: 'Rack registered', description: `Registered from ${link.region}` });
    }
    return { system_id: node.system_id, hostname: h.hostname, created };
  });
  ctx.log.info({ system_id: result.system_id, hostname: result.hostname, created: result.created }, 'rack connected');
  return result;
}
