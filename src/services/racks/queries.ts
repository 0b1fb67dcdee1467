/** Reading and deleting rack controllers (node_type 2, and 4 for region+rack). */
import { forbidden, invalid, noMatch } from '../../domain/errors.ts';
import { normalizeMac } from '../../domain/machine/mac.ts';
import { EventLevel } from '../../domain/events.ts';
import type { InterfaceRow } from '../../store/repos/machines.ts';
import { interfacesRepo, loadMachinesNetwork, type NetworkView } from '../../store/repos/network-interfaces.ts';
import { RACK_NODE_TYPES } from '../../store/repos/network.ts';
import type { Actor, ServiceContext } from '../context.ts';
import { recordEvent } from '../events.ts';
import type { RackStatusRow } from './status.ts';
import './hooks.ts';

export interface RackNodeRow {
  id: number; system_id: string; node_type: number; hostname: string; description: string;
  domain_id: number; domain: string; domain_ttl: number | null; domain_authoritative: boolean; domain_is_default: boolean;
  zone_id: number; zone: string; zone_description: string;
  architecture: string | null; cpu_count: number; cpu_speed: number; memory: number; swap_size: number | null;
  osystem: string; distro_series: string; power_type: string; power_state: string; hardware_uuid: string | null;
  status_action: string | null; hardware_info: Record<string, unknown>; tag_names: string[];
}

export interface RackRecord { node: RackNodeRow; status: RackStatusRow | undefined; interfaces: InterfaceRow[] }
export interface RackListing { racks: RackRecord[]; net: NetworkView }

export interface RackFilter { hostname?: string[]; system_id?: string[]; mac_address?: string[]; zone?: string; domain?: string }

const SELECT = `
  select n.id, n.system_id, n.node_type, n.hostname, n.description, d.id as domain_id, d.name as domain, d.ttl as domain_ttl,
         d.authoritative as domain_authoritative, d.is_default as domain_is_default, z.id as zone_id, z.name as zone,
         z.description as zone_description, n.architecture,
         n.cpu_count, n.cpu_speed, n.memory, n.swap_size, n.osystem, n.distro_series, n.power_type, n.power_state,
         n.hardware_uuid, n.status_action, n.hardware_info,
         coalesce((select array_agg(t.name order by t.name) from node_tags nt join tags t on t.id = nt.tag_id where nt.node_id = n.id), '{}') as tag_names
    from nodes n join domains d on d.id = n.domain_id join zones z on z.id = n.zone_id`;

export async function listRacks(ctx: ServiceContext, f: RackFilter = {}): Promise<RackListing> {
  const where = ['n.node_type = any($1::int[])'];
  const params: unknown[] = [RACK_NODE_TYPES];
  const add = (sql: (i: number) => string, v: unknown) => { params.push(v); where.push(sql(params.length)); };
  if (f.hostname?.length) add((i) => `n.hostname = any($${i}::text[])`, f.hostname.map((h) => h.split('.')[0]));
  if (f.system_id?.length) add((i) => `n.system_id = any($${i}::text[])`, f.system_id);
  if (f.mac_address?.length) {
    const macs = f.mac_address.map((m) => normalizeMac(m));
    const bad = f.mac_address.filter((_, i) => !macs[i]);
    if (bad.length) throw invalid({ mac_address: [`Invalid MAC address(es): ${bad.join(', ')}`] });
    add((i) => `n.id in (select node_id from interfaces where mac_address = any($${i}::text[]))`, macs);
  }
  if (f.zone) add((i) => `z.name = $${i}`, f.zone);
  if (f.domain) add((i) => `d.name = $${i}`, f.domain);
  const nodes = await ctx.db.query<RackNodeRow>(`${SELECT} where ${where.join(' and ')} order by n.id`, params);
  const ids = nodes.map((n) => n.id);
  const statuses = await ctx.db.query<RackStatusRow>('select * from rack_status where node_id = any($1::int[])', [ids]);
  const interfaces = await interfacesRepo.byNodes(ctx.db, ids);
  const net = await loadMachinesNetwork(ctx.db, ids);
  return {
    net,
    racks: nodes.map((node) => ({ node, status: statuses.find((s) => s.node_id === node.id), interfaces: interfaces.filter((i) => i.node_id === node.id) })),
  };
}

export async function getRack(ctx: ServiceContext, systemId: string): Promise<RackListing & { rack: RackRecord }> {
  const listing = await listRacks(ctx, { system_id: [systemId] });
  if (!listing.racks.length) throw noMatch('RackController');
  return { ...listing, rack: listing.racks[0] };
}

/**
 * Deletes a rack. Like MAAS, a rack that serves DHCP on a VLAN is kept unless `force`; forced, a
 * secondary takes over as primary where there is one, and DHCP is switched off where there is not.
 */
export async function deleteRack(ctx: ServiceContext, actor: Actor, systemId: string, force: boolean): Promise<void> {
  if (!actor.isAdmin) throw forbidden();
  const { rack } = await getRack(ctx, systemId);
  await ctx.db.tx(async (q) => {
    const serving = await q.query<{ id: number; vid: number; fabric: string; secondary_rack_id: number | null }>(
      `select v.id, v.vid, f.name as fabric, v.secondary_rack_id from vlans v join fabrics f on f.id = v.fabric_id
        where v.dhcp_on and v.primary_rack_id = $1 order by v.id`, [rack.node.id]);
    if (serving.length && !force) {
      const names = serving.map((v) => `${v.fabric}.${v.vid}`).join(', ');
      throw invalid({ __all__: [`Unable to delete ${rack.node.hostname}; it is the primary rack controller providing DHCP on VLAN(s) ${names}. Use force=True to delete it anyway.`] });
    }
    for (const v of serving) {
      await q.query(
        'update vlans set primary_rack_id = secondary_rack_id, secondary_rack_id = null, dhcp_on = secondary_rack_id is not null where id = $1', [v.id]);
    }
    await q.query('update vlans set secondary_rack_id = null where secondary_rack_id = $1', [rack.node.id]);
    await recordEvent(q, { nodeId: null, hostname: rack.node.hostname, username: actor.username, level: EventLevel.INFO, typeName: 'Rack deleted', description: `Deleted by ${actor.username}` });
    await q.query('delete from nodes where id = $1', [rack.node.id]);
  });
  ctx.rackLinks?.drop(systemId, 'the rack controller was deleted');
  ctx.log.info({ system_id: systemId, by: actor.username }, 'rack deleted');
}
