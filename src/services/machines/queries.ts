/** Read-only questions about machines that edges ask (metrics, enlistment checks, power parameters). */
import { normalizeMac } from '../../domain/machine/mac.ts';
import { badRequest } from '../../domain/errors.ts';
import { loadMachines, nodesRepo } from '../../store/repos/machines.ts';
import type { Queryable } from '../context.ts';

export const machineCountsByStatus = (q: Queryable) => nodesRepo.countByStatus(q);

export async function isMacRegistered(q: Queryable, raw: string): Promise<boolean> {
  const mac = normalizeMac(raw);
  if (!mac) throw badRequest(`Invalid MAC address: '${raw}'.`);
  return (await nodesRepo.macOwner(q, mac)) !== undefined;
}

/** Power parameters by system_id (all machines when ids is empty). Admin-only at the edge. */
export async function powerParametersOf(q: Queryable, ids: string[]) {
  const machines = await loadMachines(q, ids.length
    ? { where: ['n.node_type = 0', 'n.system_id = any($1::text[])'], params: [ids] }
    : { where: ['n.node_type = 0'], params: [] });
  return Object.fromEntries(machines.map((m) => [m.system_id, m.power_parameters]));
}
