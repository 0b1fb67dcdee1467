/**
 * A machine's physical interfaces from the NICs commissioning found, matched by MAC address:
 * - a known MAC keeps its row (so its VLAN, links, tags, MTU and the bonds, VLANs and bridges built on
 *   it stay) and takes the reported name, speeds, link state, vendor and product;
 * - a new MAC becomes a new, disconnected physical interface;
 * - a physical interface whose MAC was not reported is deleted, as MAAS does on recommissioning: it is
 *   not in the machine any more. VLAN interfaces and bridges left without a parent go with it; a bond
 *   keeps its other members (and goes only when none is left).
 */
import { invalid } from '../../domain/errors.ts';
import { normalizeMac } from '../../domain/machine/mac.ts';
import type { InterfaceRow } from '../../store/repos/machines.ts';
import { interfacesRepo } from '../../store/repos/network-interfaces.ts';
import type { Queryable } from '../context.ts';
import type { NicFacts } from './facts.ts';

export interface NicChanges { added: string[]; updated: string[]; removed: string[] }

async function removeMissing(q: Queryable, all: InterfaceRow[], gone: InterfaceRow[]): Promise<InterfaceRow[]> {
  let rows = all;
  let dropping = new Set(gone.map((g) => g.id));
  while (dropping.size) {
    for (const id of dropping) await interfacesRepo.delete(q, id);
    rows = rows.filter((r) => !dropping.has(r.id));
    const next = new Set<number>();
    for (const r of rows) {
      const parents = r.parent_ids ?? [];
      if (!parents.some((p) => dropping.has(p))) continue;
      const left = parents.filter((p) => !dropping.has(p));
      if (left.length === 0) next.add(r.id);
      else await q.query('update interfaces set parent_ids = $2::int[] where id = $1', [r.id, left]);
      r.parent_ids = left;
    }
    dropping = next;
  }
  return rows;
}

/** A free name for a new interface when the reported one is taken by something the user made. */
function freeName(taken: Set<string>, wanted: string): string {
  if (!taken.has(wanted)) return wanted;
  for (let n = 0; ; n++) if (!taken.has(`eth${n}`)) return `eth${n}`;
}

export async function applyNics(q: Queryable, nodeId: number, nics: NicFacts[]): Promise<NicChanges> {
  const reported = new Map<string, NicFacts>();
  for (const n of nics) {
    const mac = normalizeMac(n.mac)!;
    if (reported.has(mac)) throw invalid({ nics: [`MAC address ${mac} is reported twice (${reported.get(mac)!.name} and ${n.name}).`] });
    reported.set(mac, n);
  }
  const before = await interfacesRepo.byNode(q, nodeId);
  const physical = before.filter((i) => i.type === 'physical');
  const gone = physical.filter((i) => !i.mac_address || !reported.has(i.mac_address));
  const rows = await removeMissing(q, before, gone);

  for (const mac of reported.keys()) {
    const owner = (await q.query<{ hostname: string; name: string }>(
      `select n.hostname, i.name from interfaces i join nodes n on n.id = i.node_id
        where i.mac_address = $1 and i.type = 'physical' and i.node_id <> $2`, [mac, nodeId]))[0];
    if (owner) throw invalid({ nics: [`MAC address ${mac} is already in use on ${owner.hostname} (${owner.name}); remove it there first.`] });
  }

  // Renames can swap names (eth0 <-> eth1): park the physical ones on unique names first.
  const kept = rows.filter((r) => r.type === 'physical');
  for (const r of kept) await q.query('update interfaces set name = $2 where id = $1', [r.id, `plinth-tmp-${r.id}`]);
  const taken = new Set(rows.filter((r) => r.type !== 'physical').map((r) => r.name));
  const changes: NicChanges = { added: [], updated: [], removed: gone.map((g) => g.name) };
  const byMac = new Map(kept.map((r) => [r.mac_address!, r]));

  // Known MACs first, so a new NIC never takes a name a kept one is about to get back.
  const ordered = [...reported].sort(([a], [b]) => Number(byMac.has(b)) - Number(byMac.has(a)));
  for (const [mac, n] of ordered) {
    const row = byMac.get(mac);
    const speed = n.speed_mbps ?? 0;
    const name = freeName(taken, row && taken.has(n.name) ? row.name : n.name);
    taken.add(name);
    const fields = [name, n.link === 'up', speed, n.vendor_id, n.product_id];
    if (row) {
      await q.query(
        `update interfaces set name = $2, link_connected = $3, link_speed = $4, interface_speed = greatest(interface_speed, $4),
                vendor = $5, product = $6, enabled = true where id = $1`, [row.id, ...fields]);
      changes.updated.push(name);
    } else {
      await q.query(
        `insert into interfaces (node_id, name, type, mac_address, vlan_id, link_connected, link_speed, interface_speed, vendor, product)
         values ($1, $2, 'physical', $7, null, $3, $4, $4, $5, $6)`, [nodeId, ...fields, mac]);
      changes.added.push(name);
    }
  }
  return changes;
}
