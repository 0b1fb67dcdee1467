/**
 * Per-machine hardware facts for the storage and interface label constraints, loaded in bulk for a
 * page of candidates (two queries, never one per machine), and the matching itself.
 */
import type { AllocationConstraints } from '../../domain/allocation/constraints.ts';
import { matchInterfaces, type InterfaceFacts } from '../../domain/allocation/interfaces.ts';
import { matchStorage, type DiskFacts } from '../../domain/allocation/storage.ts';
import type { Queryable } from '../context.ts';

export interface HardwareMatch { storage: Record<string, number[]>; interfaces: Record<string, number[]> }

export const needsHardware = (c: AllocationConstraints) => c.storage.length > 0 || c.interfaces.length > 0;

async function loadFacts(q: Queryable, nodeIds: number[], c: AllocationConstraints) {
  const disks = new Map<number, DiskFacts[]>();
  const ifaces = new Map<number, InterfaceFacts[]>();
  const push = <T>(m: Map<number, T[]>, k: number, v: T) => { const l = m.get(k); if (l) l.push(v); else m.set(k, [v]); };
  if (c.storage.length) {
    const rows = await q.query<{ id: number; node_id: number; size: number; tags: string[]; is_boot: boolean }>(
      "select id, node_id, size, tags, is_boot from block_devices where node_id = any($1::int[]) and type = 'physical' order by id", [nodeIds]);
    for (const r of rows) push(disks, r.node_id, { id: r.id, size: Number(r.size), tags: r.tags, isBoot: r.is_boot });
  }
  if (c.interfaces.length) {
    const rows = await q.query<{
      id: number; node_id: number; name: string; type: string; tags: string[]; link_speed: number; hostname: string;
      vlan_id: number | null; vid: number | null; vlan_name: string | null; fabric_id: number | null; fabric_name: string | null; class_type: string | null;
    }>(`select i.id, i.node_id, i.name, i.type, i.tags, i.link_speed, n.hostname,
               v.id as vlan_id, v.vid, v.name as vlan_name, f.id as fabric_id, f.name as fabric_name, f.class_type
          from interfaces i join nodes n on n.id = i.node_id
          left join vlans v on v.id = i.vlan_id left join fabrics f on f.id = v.fabric_id
         where i.node_id = any($1::int[]) order by i.id`, [nodeIds]);
    for (const r of rows) {
      push(ifaces, r.node_id, {
        id: r.id, name: r.name, type: r.type, tags: r.tags, linkSpeed: r.link_speed, hostname: r.hostname, addresses: [],
        vlan: r.vlan_id === null ? null : {
          id: r.vlan_id, vid: r.vid!, name: r.vlan_name ?? '',
          fabric: { id: r.fabric_id!, name: r.fabric_name ?? '', classType: r.class_type },
        },
      });
    }
  }
  return { disks, ifaces };
}

/** Which of these machines satisfy the label constraints, and how (ids in the given order). */
export async function matchHardware(q: Queryable, nodeIds: number[], c: AllocationConstraints): Promise<Map<number, HardwareMatch>> {
  const out = new Map<number, HardwareMatch>();
  if (!needsHardware(c)) {
    for (const id of nodeIds) out.set(id, { storage: {}, interfaces: {} });
    return out;
  }
  if (!nodeIds.length) return out;
  const { disks, ifaces } = await loadFacts(q, nodeIds, c);
  for (const id of nodeIds) {
    const storage = matchStorage(c.storage, disks.get(id) ?? []);
    if (!storage) continue;
    const interfaces = matchInterfaces(c.interfaces, ifaces.get(id) ?? []);
    if (!interfaces) continue;
    out.set(id, { storage, interfaces });
  }
  return out;
}
