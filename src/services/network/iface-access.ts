/** Which node an interface request is about, who may do what to its interfaces, and reading them. */
import { conflict, forbidden, invalid, noMatch } from '../../domain/errors.ts';
import { NodeStatus, statusName } from '../../domain/machine/status.ts';
import { nodesRepo, type InterfaceRow, type NodeRow } from '../../store/repos/machines.ts';
import { interfacesRepo, loadInterfacesNetwork, type NetworkView } from '../../store/repos/network-interfaces.ts';
import type { Actor, Queryable, ServiceContext } from '../context.ts';

/** A node's interfaces with everything needed to render them. */
export interface NodeInterfaces { node: NodeRow; interfaces: InterfaceRow[]; net: NetworkView }

export async function findNode(q: Queryable, actor: Actor, systemId: string, forUpdate = false): Promise<NodeRow> {
  const node = await nodesRepo.bySystemId(q, systemId, forUpdate);
  if (!node) throw noMatch('Node');
  if (!actor.isAdmin && node.node_type === 0 && node.owner_id !== null && node.owner_id !== actor.id) throw noMatch('Node');
  return node;
}

/** MAAS allows interface changes on machines in these states only. */
const EDITABLE = [NodeStatus.NEW, NodeStatus.READY, NodeStatus.FAILED_TESTING, NodeStatus.ALLOCATED, NodeStatus.BROKEN] as number[];

/**
 * `structural` changes (create, update, delete, disconnect, tags) need an administrator; link changes
 * need an administrator or the machine's owner. Machines must be in an editable state.
 */
export function assertCanChange(actor: Actor, node: NodeRow, verb: string, structural: boolean) {
  if (structural && !actor.isAdmin) throw forbidden();
  if (!structural && !actor.isAdmin && node.owner_id !== actor.id) throw forbidden(`You do not have permission to modify the interfaces of ${node.hostname}.`);
  if (node.node_type === 0 && !EDITABLE.includes(node.status)) {
    throw conflict(`Cannot ${verb} interface because the machine is not New, Ready, Allocated, Broken or Failed testing (${node.hostname} is ${statusName(node.status)}).`);
  }
}

export async function nodeInterfaces(q: Queryable, node: NodeRow): Promise<NodeInterfaces> {
  const interfaces = await interfacesRepo.byNode(q, node.id);
  return { node, interfaces, net: await loadInterfacesNetwork(q, interfaces.map((i) => i.id)) };
}

export async function listInterfaces(ctx: ServiceContext, actor: Actor, systemId: string): Promise<NodeInterfaces> {
  return nodeInterfaces(ctx.db, await findNode(ctx.db, actor, systemId));
}

export function interfaceOf(ni: { interfaces: InterfaceRow[] }, id: string | number): InterfaceRow {
  const i = ni.interfaces.find((x) => String(x.id) === String(id));
  if (!i) throw noMatch('Interface');
  return i;
}

export async function getInterface(ctx: ServiceContext, actor: Actor, systemId: string, id: string): Promise<NodeInterfaces & { iface: InterfaceRow }> {
  const ni = await listInterfaces(ctx, actor, systemId);
  return { ...ni, iface: interfaceOf(ni, id) };
}

/** The interface ids of `parents` (names or ids of the same node's interfaces). */
export function resolveParents(all: InterfaceRow[], parents: string[], field: string): InterfaceRow[] {
  return parents.map((p) => {
    const found = all.find((i) => String(i.id) === p || i.name === p);
    if (!found) throw invalid({ [field]: [`${p} is not an interface of this node.`] });
    return found;
  });
}
