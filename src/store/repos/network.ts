/**
 * Fabrics, VLANs, spaces and subnets: the network topology. These tables stay small (hundreds of rows),
 * so readers load the whole topology at once ({@link loadTopology}) and resolve names in memory.
 */
import type { Queryable } from '../db.ts';

export interface FabricRow { id: number; name: string; description: string; class_type: string | null }
export interface SpaceRow { id: number; name: string; description: string }

export interface VlanRow {
  id: number; fabric_id: number; vid: number; name: string; description: string; mtu: number; dhcp_on: boolean;
  external_dhcp: string | null; space_id: number | null; relay_vlan_id: number | null;
  primary_rack_id: number | null; secondary_rack_id: number | null;
  /** system_ids of the racks (joined). */
  primary_rack: string | null; secondary_rack: string | null;
}

export interface SubnetRow {
  id: number; name: string; description: string; vlan_id: number; cidr: string; gateway_ip: string | null;
  dns_servers: string[]; managed: boolean; allow_dns: boolean; allow_proxy: boolean; active_discovery: boolean;
  rdns_mode: number; disabled_boot_architectures: string[]; ipv6_address_mode: string | null; created: Date; updated: Date;
}

/** Everything needed to render fabrics, VLANs, spaces and subnets, indexed by id. */
export interface Topology {
  fabrics: Map<number, FabricRow>;
  vlans: Map<number, VlanRow>;
  spaces: Map<number, SpaceRow>;
  subnets: Map<number, SubnetRow>;
}

const VLAN_SELECT = `
  select v.*, pr.system_id as primary_rack, sr.system_id as secondary_rack
    from vlans v
    left join nodes pr on pr.id = v.primary_rack_id
    left join nodes sr on sr.id = v.secondary_rack_id`;

/** The next value of a table's identity sequence (to name a row after its id in one insert). */
async function nextId(q: Queryable, table: 'fabrics' | 'spaces'): Promise<number> {
  return (await q.query<{ id: number }>(`select nextval(pg_get_serial_sequence('${table}', 'id'))::int as id`))[0].id;
}

const byId = <T extends { id: number }>(rows: T[]) => new Map(rows.map((r) => [r.id, r]));

export async function loadTopology(q: Queryable): Promise<Topology> {
  // One after another: q may be a transaction's single connection.
  const fabrics = await q.query<FabricRow>('select * from fabrics order by id');
  const vlans = await q.query<VlanRow>(`${VLAN_SELECT} order by v.fabric_id, v.vid`);
  const spaces = await q.query<SpaceRow>('select * from spaces order by id');
  const subnets = await q.query<SubnetRow>('select * from subnets order by id');
  return { fabrics: byId(fabrics), vlans: byId(vlans), spaces: byId(spaces), subnets: byId(subnets) };
}

export const fabricsRepo = {
  list: (q: Queryable) => q.query<FabricRow>('select * from fabrics order by id'),
  byId: async (q: Queryable, id: number) => (await q.query<FabricRow>('select * from fabrics where id = $1', [id]))[0],
  byName: async (q: Queryable, name: string) => (await q.query<FabricRow>('select * from fabrics where name = $1', [name]))[0],
  /** Without a name the fabric is called `fabric-<id>`, as MAAS names it. */
  async insert(q: Queryable, f: { name?: string; description: string; class_type: string | null }) {
    const id = await nextId(q, 'fabrics');
    return (await q.query<FabricRow>('insert into fabrics (id, name, description, class_type) values ($1, $2, $3, $4) returning *',
      [id, f.name ?? `fabric-${id}`, f.description, f.class_type]))[0];
  },
  update: async (q: Queryable, id: number, f: { name: string; description: string; class_type: string | null }) =>
    (await q.query<FabricRow>('update fabrics set name = $2, description = $3, class_type = $4 where id = $1 returning *',
      [id, f.name, f.description, f.class_type]))[0],
  delete: (q: Queryable, id: number) => q.query('delete from fabrics where id = $1', [id]),
  /** Interfaces still connected to the fabric's VLANs (node hostname and interface name). */
  connected: (q: Queryable, id: number) => q.query<{ hostname: string; name: string }>(
    `select n.hostname, i.name from interfaces i join vlans v on v.id = i.vlan_id join nodes n on n.id = i.node_id
      where v.fabric_id = $1 order by n.hostname, i.name limit 20`, [id]),
};

export interface VlanWrite {
  name: string; description: string; mtu: number; dhcp_on: boolean; space_id: number | null; relay_vlan_id: number | null;
  primary_rack_id: number | null; secondary_rack_id: number | null;
}

export const vlansRepo = {
  byId: async (q: Queryable, id: number) => (await q.query<VlanRow>(`${VLAN_SELECT} where v.id = $1`, [id]))[0],
  byVid: async (q: Queryable, fabricId: number, vid: number) =>
    (await q.query<VlanRow>(`${VLAN_SELECT} where v.fabric_id = $1 and v.vid = $2`, [fabricId, vid]))[0],
  list: (q: Queryable) => q.query<VlanRow>(`${VLAN_SELECT} order by v.fabric_id, v.vid`),
  async insert(q: Queryable, fabricId: number, vid: number, w: VlanWrite) {
    const [{ id }] = await q.query<{ id: number }>(
      `insert into vlans (fabric_id, vid, name, description, mtu, dhcp_on, space_id, relay_vlan_id, primary_rack_id, secondary_rack_id)
       values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) returning id`,
      [fabricId, vid, w.name, w.description, w.mtu, w.dhcp_on, w.space_id, w.relay_vlan_id, w.primary_rack_id, w.secondary_rack_id]);
    return (await vlansRepo.byId(q, id))!;
  },
  async update(q: Queryable, id: number, w: VlanWrite) {
    await q.query(
      `update vlans set name = $2, description = $3, mtu = $4, dhcp_on = $5, space_id = $6, relay_vlan_id = $7,
         primary_rack_id = $8, secondary_rack_id = $9 where id = $1`,
      [id, w.name, w.description, w.mtu, w.dhcp_on, w.space_id, w.relay_vlan_id, w.primary_rack_id, w.secondary_rack_id]);
    return (await vlansRepo.byId(q, id))!;
  },
  delete: (q: Queryable, id: number) => q.query('delete from vlans where id = $1', [id]),
  /** Locks the VLAN row (DHCP switches and range changes on its subnets serialise on it). */
  lock: (q: Queryable, id: number) => q.query('select id from vlans where id = $1 for update', [id]),
};

export const spacesRepo = {
  list: (q: Queryable) => q.query<SpaceRow>('select * from spaces order by id'),
  byId: async (q: Queryable, id: number) => (await q.query<SpaceRow>('select * from spaces where id = $1', [id]))[0],
  byName: async (q: Queryable, name: string) => (await q.query<SpaceRow>('select * from spaces where name = $1', [name]))[0],
  /** Without a name the space is called `space-<id>`. */
  async insert(q: Queryable, s: { name?: string; description: string }) {
    const id = await nextId(q, 'spaces');
    return (await q.query<SpaceRow>('insert into spaces (id, name, description) values ($1, $2, $3) returning *',
      [id, s.name ?? `space-${id}`, s.description]))[0];
  },
  update: async (q: Queryable, id: number, s: { name: string; description: string }) =>
    (await q.query<SpaceRow>('update spaces set name = $2, description = $3 where id = $1 returning *', [id, s.name, s.description]))[0],
  delete: (q: Queryable, id: number) => q.query('delete from spaces where id = $1', [id]),
};

/** Node kinds that can serve DHCP (MAAS node_type 2 rack controller, 4 region+rack controller). */
export const RACK_NODE_TYPES = [2, 4];

export const racksRepo = {
  bySystemId: async (q: Queryable, systemId: string) =>
    (await q.query<{ id: number; system_id: string; node_type: number }>(
      'select id, system_id, node_type from nodes where system_id = $1', [systemId]))[0],
  systemId: async (q: Queryable, id: number | null) =>
    id === null ? null : ((await q.query<{ system_id: string }>('select system_id from nodes where id = $1', [id]))[0]?.system_id ?? null),
};
