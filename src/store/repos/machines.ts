/**
 * Machines and what hangs off them, loaded in bulk: one query for the nodes of a listing and one each
 * for their interfaces, block devices and tags, assembled in memory. Listing 10,000 machines is a
 * handful of queries, never one per machine.
 */
import type { Queryable } from '../db.ts';
import { loadMachinesNetwork, type NetworkView } from './network-interfaces.ts';
import { loadStorageDocs, type StoredStorage } from './storage.ts';

export interface NodeRow {
  id: number; system_id: string; node_type: number; hostname: string; description: string;
  domain_id: number; zone_id: number; pool_id: number | null; architecture: string | null;
  min_hwe_kernel: string; hwe_kernel: string | null; status: number; previous_status: number;
  status_expires: Date | null; status_message: string | null; status_action: string | null;
  owner_id: number | null; locked: boolean; power_type: string; power_parameters: Record<string, unknown>;
  power_state: string; cpu_count: number; cpu_speed: number; memory: number; swap_size: number | null;
  osystem: string; distro_series: string; netboot: boolean; ephemeral_deploy: boolean;
  error_description: string; hardware_uuid: string | null; bios_boot_method: string | null;
  hardware_info: Record<string, string>; workload_annotations: Record<string, string>; agent_name: string;
  enable_ssh: boolean; created: Date; updated: Date; version: number;
  /** Default-gateway links (migration 003). */
  gateway_link_ipv4_id?: number | null; gateway_link_ipv6_id?: number | null;
}

export interface InterfaceRow {
  id: number; node_id: number; name: string; type: string; mac_address: string | null; vlan_id: number | null;
  enabled: boolean; params: Record<string, unknown>; tags: string[]; mtu: number | null; vendor: string | null;
  product: string | null; firmware_version: string | null; link_connected: boolean; interface_speed: number;
  link_speed: number; is_boot: boolean;
  /** Bond/VLAN/bridge parents (migration 003). */
  parent_ids?: number[];
  vlan_vid: number | null; vlan_name: string | null; vlan_mtu: number | null; vlan_dhcp_on: boolean | null;
  fabric_id: number | null; fabric_name: string | null;
}

export interface BlockDeviceRow {
  id: number; node_id: number; name: string; type: string; model: string; serial: string; id_path: string | null;
  size: number; block_size: number; tags: string[]; uuid: string | null; firmware_version: string | null; is_boot: boolean;
}

export interface MachineRecord extends NodeRow {
  owner: string | null;
  zone: { id: number; name: string; description: string };
  pool: { id: number; name: string; description: string } | null;
  domain: { id: number; name: string; ttl: number | null; authoritative: boolean; is_default: boolean };
  tags: string[];
  interfaces: InterfaceRow[];
  blockdevices: BlockDeviceRow[];
  /** Links of the interfaces and the network topology (set by loadMachines). */
  network?: NetworkView;
  /** Partitions, filesystems and groups beyond the physical disks (migration 004; set by loadMachines). */
  storage?: StoredStorage | null;
}

/** A compiled filter: SQL conditions on `n` (nodes) and their parameters. */
export interface NodeFilter { where: string[]; params: unknown[] }

const NODE_SELECT = `
  select n.*, u.username as owner,
         z.name as zone_name, z.description as zone_description,
         p.name as pool_name, p.description as pool_description,
         d.name as domain_name, d.ttl as domain_ttl, d.authoritative as domain_authoritative, d.is_default as domain_is_default
    from nodes n
    join zones z on z.id = n.zone_id
    join domains d on d.id = n.domain_id
    left join resource_pools p on p.id = n.pool_id
    left join users u on u.id = n.owner_id`;

const IFACE_SELECT = `
  select i.*, v.vid as vlan_vid, v.name as vlan_name, v.mtu as vlan_mtu, v.dhcp_on as vlan_dhcp_on,
         f.id as fabric_id, f.name as fabric_name
    from interfaces i
    left join vlans v on v.id = i.vlan_id
    left join fabrics f on f.id = v.fabric_id`;

type Joined = NodeRow & {
  owner: string | null; zone_name: string; zone_description: string; pool_name: string | null; pool_description: string | null;
  domain_name: string; domain_ttl: number | null; domain_authoritative: boolean; domain_is_default: boolean;
};

type Thunks = readonly (() => Promise<unknown>)[];
type Results<T extends Thunks> = { -readonly [K in keyof T]: Awaited<ReturnType<T[K]>> };

/** Runs independent queries at once on a pool, one after another on a single connection. */
async function all<T extends Thunks>(q: Queryable, thunks: T): Promise<Results<T>> {
  if (q.concurrent) return (await Promise.all(thunks.map((t) => t()))) as Results<T>;
  const out: unknown[] = [];
  for (const t of thunks) out.push(await t());
  return out as Results<T>;
}

export async function loadMachines(q: Queryable, filter: NodeFilter, opts: { limit?: number } = {}): Promise<MachineRecord[]> {
  const where = filter.where.length ? `where ${filter.where.join(' and ')}` : '';
  const limit = opts.limit ? `limit ${Math.trunc(opts.limit)}` : '';
  const rows = await q.query<Joined>(`${NODE_SELECT} ${where} order by n.id ${limit}`, filter.params);
  if (!rows.length) return [];
  const ids = rows.map((r) => r.id);
  const [ifaces, disks, tags, network, storage] = await all(q, [
    () => q.query<InterfaceRow>(`${IFACE_SELECT} where i.node_id = any($1::int[]) order by i.node_id, i.id`, [ids]),
    () => q.query<BlockDeviceRow>('select * from block_devices where node_id = any($1::int[]) order by node_id, id', [ids]),
    () => q.query<{ node_id: number; name: string }>(
      'select nt.node_id, t.name from node_tags nt join tags t on t.id = nt.tag_id where nt.node_id = any($1::int[]) order by t.name', [ids]),
    () => loadMachinesNetwork(q, ids),
    () => loadStorageDocs(q, ids),
  ] as const);
  const byNode = new Map<number, MachineRecord>();
  const out = rows.map((r) => {
    const m = toRecord(r);
    m.network = network;
    byNode.set(r.id, m);
    return m;
  });
  for (const i of ifaces) byNode.get(i.node_id)?.interfaces.push(i);
  for (const b of disks) byNode.get(b.node_id)?.blockdevices.push(b);
  for (const t of tags) byNode.get(t.node_id)?.tags.push(t.name);
  for (const m of out) m.storage = storage.get(m.id) ?? null;
  return out;
}

function toRecord(r: Joined): MachineRecord {
  const {
    owner, zone_name, zone_description, pool_name, pool_description,
    domain_name, domain_ttl, domain_authoritative, domain_is_default, ...node
  } = r;
  return {
    ...node,
    owner,
    zone: { id: r.zone_id, name: zone_name, description: zone_description },
    pool: r.pool_id === null ? null : { id: r.pool_id, name: pool_name ?? '', description: pool_description ?? '' },
    domain: { id: r.domain_id, name: domain_name, ttl: domain_ttl, authoritative: domain_authoritative, is_default: domain_is_default },
    tags: [], interfaces: [], blockdevices: [],
  };
}

/** Ids and versions of the machines a filter selects, with the render epoch (cheap: one index scan). */
export async function machineVersions(q: Queryable, filter: NodeFilter): Promise<{ rows: Array<{ id: number; version: number }>; epoch: number }> {
  const where = filter.where.length ? `where ${filter.where.join(' and ')}` : '';
  const rows = await q.query<{ id: number; version: number; epoch: number }>(
    `select n.id, n.version, (select epoch from render_epoch where id = 1) as epoch from nodes n ${where} order by n.id`, filter.params);
  const epoch = rows.length ? rows[0].epoch : (await q.query<{ epoch: number }>('select epoch from render_epoch where id = 1'))[0].epoch;
  return { rows: rows.map((r) => ({ id: r.id, version: r.version })), epoch };
}

/** One machine's id, version and owner, with the render epoch: all a cached read needs to know. */
export interface MachineVersionRow { id: number; version: number; owner_id: number | null; epoch: number }

/**
 * A scalar subquery giving the `MachineVersionRow` (JSON; null when there is no such machine) of the
 * machine whose system_id is the parameter `param`: lets another statement, the API's credential
 * check, read it in the same round trip.
 */
export const machineVersionJsonSql = (param: string) =>
  `(select json_build_object('id', n.id, 'version', n.version, 'owner_id', n.owner_id, 'epoch', (select epoch from render_epoch where id = 1))
      from nodes n where n.node_type = 0 and n.system_id = ${param})`;

export async function loadMachine(q: Queryable, systemId: string): Promise<MachineRecord | undefined> {
  return (await loadMachines(q, { where: ['n.system_id = $1', 'n.node_type = 0'], params: [systemId] }))[0];
}

export const nodesRepo = {
  bySystemId: async (q: Queryable, systemId: string, forUpdate = false) =>
    (await q.query<NodeRow>(`select * from nodes where system_id = $1 ${forUpdate ? 'for update' : ''}`, [systemId]))[0],
  hostnameTaken: async (q: Queryable, hostname: string, domainId: number, exceptId = -1) =>
    (await q.query('select 1 from nodes where hostname = $1 and domain_id = $2 and id <> $3', [hostname, domainId, exceptId])).length > 0,
  macOwner: async (q: Queryable, mac: string) =>
    (await q.query<{ system_id: string; hostname: string }>(
      "select n.system_id, n.hostname from interfaces i join nodes n on n.id = i.node_id where i.mac_address = $1 and i.type = 'physical'", [mac]))[0],
  countByStatus: (q: Queryable) =>
    q.query<{ status: number; n: number }>('select status, count(*)::int as n from nodes where node_type = 0 group by status'),
  delete: (q: Queryable, id: number) => q.query('delete from nodes where id = $1', [id]),
};
