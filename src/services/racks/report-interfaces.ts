/**
 * A linked rack reports that its interfaces changed (an operator added a VLAN interface, the lab
 * created its veth after the rack started): write them as hello does (interfaces.ts), so new
 * addresses get their subnets and the rack's DHCP service can be derived for them.
 */
import { notFound } from '../../domain/errors.ts';
import { RACK_NODE_TYPES } from '../../store/repos/network.ts';
import type { ServiceContext } from '../context.ts';
import { interfacesChanged, RACK_INTERFACES_LOCK, syncRackInterfaces, type InterfaceChange, type ReportedInterface } from './interfaces.ts';

export async function reportRackInterfaces(ctx: ServiceContext, systemId: string, interfaces: ReportedInterface[]): Promise<InterfaceChange> {
  return ctx.db.tx(async (q) => {
    await q.query('select pg_advisory_xact_lock($1::int)', [RACK_INTERFACES_LOCK]);
    const node = (await q.query<{ id: number; system_id: string }>(
      'select id, system_id from nodes where system_id = $1 and node_type = any($2::int[])', [systemId, RACK_NODE_TYPES]))[0];
    if (!node) throw notFound('No RackController matches the given query.');
    const change = await syncRackInterfaces(ctx, q, node, interfaces);
    if (interfacesChanged(change)) await q.query('update nodes set updated = now() where id = $1', [node.id]);
    return change;
  });
}
