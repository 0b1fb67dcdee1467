/** Loading machines as a given actor sees them: admins see all; users see unowned machines and their own. */
import { forbidden, noMatch } from '../../domain/errors.ts';
import { loadMachine, loadMachines, machineVersions, type MachineRecord, type NodeFilter } from '../../store/repos/machines.ts';
import type { Actor, ServiceContext } from '../context.ts';
import { compileMachineQuery, type MachineQuery } from './filter.ts';

function visible(actor: Actor, filter: NodeFilter): NodeFilter {
  if (actor.isAdmin) return filter;
  const params = [...filter.params, actor.id];
  return { where: [...filter.where, `(n.owner_id is null or n.owner_id = $${params.length})`], params };
}

export async function listMachines(ctx: ServiceContext, actor: Actor, query: MachineQuery): Promise<MachineRecord[]> {
  return loadMachines(ctx.db, visible(actor, await compileMachineQuery(ctx.db, query)));
}

/** The ids and versions of the machines a query selects for this actor (for cached rendering). */
export async function listMachineVersions(ctx: ServiceContext, actor: Actor, query: MachineQuery) {
  return machineVersions(ctx.db, visible(actor, await compileMachineQuery(ctx.db, query)));
}

/** One machine's id and version as this actor may see it; 404 otherwise. */
export async function machineVersion(ctx: ServiceContext, actor: Actor, systemId: string) {
  const r = await machineVersions(ctx.db, visible(actor, { where: ['n.node_type = 0', 'n.system_id = $1'], params: [systemId] }));
  if (!r.rows.length) throw noMatch('Machine');
  return { ...r.rows[0], epoch: r.epoch };
}

export function loadMachinesById(ctx: ServiceContext, ids: number[]): Promise<MachineRecord[]> {
  return loadMachines(ctx.db, { where: ['n.id = any($1::int[])'], params: [ids] });
}

export async function getMachine(ctx: ServiceContext, actor: Actor | null, systemId: string): Promise<MachineRecord> {
  const m = await loadMachine(ctx.db, systemId);
  if (!m) throw noMatch('Machine');
  if (actor && !actor.isAdmin && m.owner_id !== null && m.owner_id !== actor.id) throw noMatch('Machine');
  return m;
}

/** Editing needs admin, or ownership of the machine. */
export function assertCanEdit(actor: Actor, m: MachineRecord) {
  if (actor.isAdmin) return;
  if (m.owner_id !== actor.id) throw forbidden(`You do not have permission to modify machine ${m.system_id}.`);
}
