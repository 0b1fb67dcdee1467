/** Interface writes, per-node interface reads, and the network part of bulk machine loading. */
import type { Queryable } from '../db.ts';
import type { InterfaceRow } from './machines.ts';
import { addressesRepo, type IpAddressRow } from './network-ips.ts';
import { loadTopology, type Topology } from './network.ts';

const IFACE_SELECT = `
  select i.*, v.vid as vlan_vid, v.name as vlan_name, v.mtu as vlan_mtu, v.dhcp_on as vlan_dhcp_on,
         f.id as fabric_id, f.name as fabric_name
    from interfaces i
    left join vlans v on v.id = i.vlan_id
    left join fabrics f on f.id = v.fabric_id`;

export interface InterfaceWrite {
  name: string; type: string; mac_address: string | null; vlan_id: number | null; params: Record<string, unknown>;
  tags: string[]; mtu: number | null; parent_ids: number[]; enabled: boolean; link_connected: boolean;
  interface_speed: number; link_speed: number;
}

const WRITE_COLUMNS = ['name', 'type', 'mac_address', 'vlan_id', 'params', 'tags', 'mtu', 'parent_ids', 'enabled',
  'link_connected', 'interface_speed', 'link_speed'] as const;
const value = (w: InterfaceWrite, c: (typeof WRITE_COLUMNS)[number]) => (c === 'params' ? JSON.stringify(w.params) : w[c]);
const cast = (c: string) => (c === 'params' ? '::jsonb' : c === 'parent_ids' ? '::int[]' : c === 'tags' ? '::text[]' : '');

export const interfacesRepo = {
  byNode: (q: Queryable, nodeId: number) => q.query<InterfaceRow>(`${IFACE_SELECT} where i.node_id = $1 order by i.id`, [nodeId]),
  byNodes: (q: Queryable, nodeIds: number[]) => q.query<InterfaceRow>(`${IFACE_SELECT} where i.node_id = any($1::int[]) order by i.node_id, i.id`, [nodeIds]),
  byIds: (q: Queryable, ids: number[]) => q.query<InterfaceRow>(`${IFACE_SELECT} where i.id = any($1::int[]) order by i.id`, [ids]),
  async insert(q: Queryable, nodeId: number, w: InterfaceWrite): Promise<number> {
    const cols = WRITE_COLUMNS.map((c, i) => `$${i + 2}${cast(c)}`).join(', ');
    const [{ id }] = await q.query<{ id: number }>(
      `insert into interfaces (node_id, ${WRITE_COLUMNS.join(', ')}) values ($1, ${cols}) returning id`,
      [nodeId, ...WRITE_COLUMNS.map((c) => value(w, c))]);
    return id;
  },
  async update(q: Queryable, id: number, w: InterfaceWrite): Promise<void> {
    const sets = WRITE_COLUMNS.map((c, i) => `${c} = $${i + 2}${cast(c)}`).join(', ');
    await q.query(`update interfaces set ${sets} where id = $1`, [id, ...WRITE_COLUMNS.map((c) => value(w, c))]);
  },
  setTags: (q: Queryable, id: number, tags: string[]) => q.query('update interfaces set tags = $2::text[] where id = $1', [id, tags]),
  setVlan: (q: Queryable, id: number, vlanId: number | null) => q.query('update interfaces set vlan_id = $2 where id = $1', [id, vlanId]),
  delete: (q: Queryable, id: number) => q.query('delete from interfaces where id = $1', [id]),
  /** The node (hostname) whose physical interface has this MAC, other than interface `exceptId`. */
  macOwner: async (q: Queryable, mac: string, exceptId = -1) =>
    (await q.query<{ hostname: string; name: string }>(
      `select n.hostname, i.name from interfaces i join nodes n on n.id = i.node_id
        where i.mac_address = $1 and i.type = 'physical' and i.id <> $2`, [mac, exceptId]))[0],
};

/** What rendering interfaces needs beyond their rows: their links and the topology. */
export interface NetworkView {
  topology: Topology;
  /** Links (address rows with interface_id) by interface id, in id order. */
  links: Map<number, IpAddressRow[]>;
}

function group(rows: IpAddressRow[]): Map<number, IpAddressRow[]> {
  const links = new Map<number, IpAddressRow[]>();
  for (const r of rows) {
    const list = links.get(r.interface_id!);
    if (list) list.push(r); else links.set(r.interface_id!, [r]);
  }
  return links;
}

/** Bulk, for machine listings: one topology load and one links query for any number of nodes. */
export async function loadMachinesNetwork(q: Queryable, nodeIds: number[]): Promise<NetworkView> {
  const topology = await loadTopology(q);
  return { topology, links: group(await addressesRepo.byNodes(q, nodeIds)) };
}

/** The same for given interfaces (interface listings, ip address listings). */
export async function loadInterfacesNetwork(q: Queryable, interfaceIds: number[]): Promise<NetworkView> {
  const topology = await loadTopology(q);
  return { topology, links: group(await addressesRepo.byInterfaces(q, interfaceIds)) };
}
