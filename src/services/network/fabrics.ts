/** Fabrics: create (with their untagged VLAN), rename, delete (never fabric-0, never while in use). */
import { badRequest, conflict, invalid } from '../../domain/errors.ts';
import { fabricsRepo, loadTopology, vlansRepo, type FabricRow, type Topology } from '../../store/repos/network.ts';
import type { Actor, ServiceContext } from '../context.ts';
import { checkName, requireAdmin } from './common.ts';
import { getFabric } from './lookup.ts';

/** The topology (fabrics, VLANs, spaces, subnets) for rendering. */
export const networkTopology = (ctx: ServiceContext): Promise<Topology> => loadTopology(ctx.db);

export const DEFAULT_MTU = 1500;

export interface FabricFields { name?: string; description?: string; class_type?: string }

export async function createFabric(ctx: ServiceContext, actor: Actor, f: FabricFields): Promise<FabricRow> {
  requireAdmin(actor);
  if (f.name !== undefined && f.name !== '') checkName('name', f.name);
  return ctx.db.tx(async (q) => {
    if (f.name && (await fabricsRepo.byName(q, f.name))) throw invalid({ name: ['Fabric with this Name already exists.'] });
    const row = await fabricsRepo.insert(q, { name: f.name || undefined, description: f.description ?? '', class_type: f.class_type || null });
    await vlansRepo.insert(q, row.id, 0, {
      name: 'untagged', description: '', mtu: DEFAULT_MTU, dhcp_on: false, space_id: null, relay_vlan_id: null,
      primary_rack_id: null, secondary_rack_id: null,
    });
    return row;
  });
}

export async function updateFabric(ctx: ServiceContext, actor: Actor, spec: string, f: FabricFields): Promise<FabricRow> {
  requireAdmin(actor);
  return ctx.db.tx(async (q) => {
    const row = await getFabric(q, spec);
    if (f.name !== undefined) {
      checkName('name', f.name);
      const other = await fabricsRepo.byName(q, f.name);
      if (other && other.id !== row.id) throw invalid({ name: ['Fabric with this Name already exists.'] });
    }
    return fabricsRepo.update(q, row.id, {
      name: f.name ?? row.name, description: f.description ?? row.description,
      class_type: f.class_type === undefined ? row.class_type : f.class_type || null,
    });
  });
}

export async function deleteFabric(ctx: ServiceContext, actor: Actor, spec: string): Promise<void> {
  requireAdmin(actor);
  await ctx.db.tx(async (q) => {
    const topo = await loadTopology(q);
    const row = await getFabric(q, spec, topo);
    if (row.id === 0) throw badRequest(`'${row.name}' is the default fabric, it cannot be deleted.`);
    const connected = await fabricsRepo.connected(q, row.id);
    if (connected.length) {
      throw conflict(`Can't delete fabric ${row.name}; the following interfaces are still connected: ${connected.map((c) => `${c.hostname}:${c.name}`).join(', ')}.`);
    }
    const vlanIds = new Set([...topo.vlans.values()].filter((v) => v.fabric_id === row.id).map((v) => v.id));
    const subnets = [...topo.subnets.values()].filter((s) => vlanIds.has(s.vlan_id));
    if (subnets.length) throw conflict(`Can't delete fabric ${row.name}: subnet(s) ${subnets.map((s) => s.cidr).join(', ')} are still on its VLANs; delete or move them first.`);
    await fabricsRepo.delete(q, row.id);
  });
}

export const getFabricBySpec = (ctx: ServiceContext, spec: string) => getFabric(ctx.db, spec);
