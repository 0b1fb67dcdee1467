/**
 * The node-level part of allocation constraints compiled to SQL conditions on nodes `n`: what can be
 * decided from a machine's own row and simple joins. Storage and interface label constraints need
 * per-machine matching and are applied afterwards (see facts.ts). Unknown tags, zones, pools and VLAN
 * specifiers → 400 with MAAS's field messages.
 */
import { invalid } from '../../domain/errors.ts';
import type { AllocationConstraints } from '../../domain/allocation/constraints.ts';
import { vlanMatches, type VlanFacts } from '../../domain/allocation/specifiers.ts';
import { largestRequested } from '../../domain/allocation/storage.ts';
import { NodeStatus } from '../../domain/machine/status.ts';
import type { NodeFilter } from '../../store/repos/machines.ts';
import type { Queryable } from '../context.ts';

/** Cheapest first, then oldest: MAAS's cost (`cpu_count + memory / 1024`) with a stable tie-break. */
export const COST_ORDER = 'order by (n.cpu_count + n.memory / 1024.0), n.id';

export async function loadVlans(q: Queryable): Promise<VlanFacts[]> {
  const rows = await q.query<{ id: number; vid: number; name: string; fabric_id: number; fabric_name: string; class_type: string | null }>(
    'select v.id, v.vid, v.name, f.id as fabric_id, f.name as fabric_name, f.class_type from vlans v join fabrics f on f.id = v.fabric_id');
  return rows.map((r) => ({ id: r.id, vid: r.vid, name: r.name, fabric: { id: r.fabric_id, name: r.fabric_name, classType: r.class_type } }));
}

export async function compileAllocationFilter(q: Queryable, c: AllocationConstraints): Promise<NodeFilter> {
  const r = c.request;
  // The literal status keeps the partial cost index (migration 006) usable.
  const where = ['n.node_type = 0', `n.status = ${NodeStatus.READY}`, 'n.owner_id is null'];
  const params: unknown[] = [];
  const p = (v: unknown) => { params.push(v); return `$${params.length}`; };
  const errors: Record<string, string[]> = {};
  const missing = async (table: string, names: string[]) => {
    if (!names.length) return [];
    const rows = await q.query<{ name: string }>(`select name from ${table} where name = any($1::text[])`, [names]);
    return names.filter((n) => !rows.some((x) => x.name === n));
  };

  if (r.name?.length) {
    const conds = r.name.map((v) => {
      const dot = v.indexOf('.');
      return dot < 0 ? `n.hostname = ${p(v)}`
        : `(n.hostname = ${p(v.slice(0, dot))} and n.domain_id in (select id from domains where name = ${p(v.slice(dot + 1))}))`;
    });
    where.push(`(${conds.join(' or ')})`);
  }
  if (r.system_id?.length) where.push(`n.system_id = any(${p(r.system_id)}::text[])`);
  if (c.arches.length) {
    const conds = c.arches.map((a) => ('exact' in a ? `n.architecture = ${p(a.exact)}` : `n.architecture like ${p(`${a.prefix}/%`)}`));
    where.push(`(${conds.join(' or ')})`);
  }
  if (r.cpu_count !== undefined) where.push(`n.cpu_count >= ${p(r.cpu_count)}::float8`);
  if (r.mem !== undefined) where.push(`n.memory >= ${p(r.mem)}::float8`);

  const unknownTags = await missing('tags', c.tags);
  if (unknownTags.length) errors.tags = [`No such tag(s): ${unknownTags.map((t) => `'${t}'`).join(', ')}.`];
  for (const t of c.tags) where.push(`exists (select 1 from node_tags nt join tags t on t.id = nt.tag_id where nt.node_id = n.id and t.name = ${p(t)})`);
  if (c.notTags.length) where.push(`not exists (select 1 from node_tags nt join tags t on t.id = nt.tag_id where nt.node_id = n.id and t.name = any(${p(c.notTags)}::text[]))`);

  for (const [field, table, label] of [['zone', 'zones', 'zone'], ['not_in_zone', 'zones', 'zone'], ['pool', 'resource_pools', 'pool'], ['not_in_pool', 'resource_pools', 'pool']] as const) {
    const unknown = await missing(table, r[field] ?? []);
    if (unknown.length) errors[field] = [`No such ${label}(s): ${unknown.join(', ')}.`];
  }
  if (r.zone?.length) where.push(`n.zone_id in (select id from zones where name = any(${p(r.zone)}::text[]))`);
  if (r.not_in_zone?.length) where.push(`n.zone_id not in (select id from zones where name = any(${p(r.not_in_zone)}::text[]))`);
  if (r.pool?.length) where.push(`n.pool_id in (select id from resource_pools where name = any(${p(r.pool)}::text[]))`);
  if (r.not_in_pool?.length) where.push(`coalesce(n.pool_id, -1) not in (select id from resource_pools where name = any(${p(r.not_in_pool)}::text[]))`);

  const onIface = (cond: string) =>
    `exists (select 1 from interfaces i join vlans v on v.id = i.vlan_id join fabrics fa on fa.id = v.fabric_id where i.node_id = n.id and ${cond})`;
  if (r.fabrics?.length) where.push(onIface(`fa.name = any(${p(r.fabrics)}::text[])`));
  if (r.not_fabrics?.length) where.push(`not ${onIface(`fa.name = any(${p(r.not_fabrics)}::text[])`)}`);
  if (r.fabric_classes?.length) where.push(onIface(`fa.class_type = any(${p(r.fabric_classes)}::text[])`));
  if (r.not_fabric_classes?.length) where.push(`not ${onIface(`fa.class_type = any(${p(r.not_fabric_classes)}::text[])`)}`);
  if (r.vlans?.length || r.not_vlans?.length) {
    const vlans = await loadVlans(q);
    for (const field of ['vlans', 'not_vlans'] as const) {
      const specs = r[field];
      if (!specs?.length) continue;
      const ids = vlans.filter((v) => specs.some((s) => vlanMatches(s, v))).map((v) => v.id);
      if (!ids.length) { errors[field] = ['No matching VLANs found.']; continue; }
      const cond = `exists (select 1 from interfaces i where i.node_id = n.id and i.vlan_id = any(${p(ids)}::int[]))`;
      where.push(field === 'vlans' ? cond : `not ${cond}`);
    }
  }
  if (r.link_speed !== undefined) where.push(`exists (select 1 from interfaces i where i.node_id = n.id and i.link_speed >= ${p(r.link_speed)}::float8)`);
  if (c.storage.length) {
    where.push(`exists (select 1 from block_devices b where b.node_id = n.id and b.type = 'physical' and b.size >= ${p(largestRequested(c.storage))}::bigint)`);
  }
  // Plinth has no VM hosts (pods) and records no PCI/USB devices: such requirements match no machine,
  // and their negations exclude none.
  if (r.pod?.length || r.pod_type?.length || r.devices) where.push('false');

  if (Object.keys(errors).length) throw invalid(errors);
  return { where, params };
}
