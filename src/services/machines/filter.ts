/** MAAS's machine-list filters compiled to SQL conditions on nodes `n`. Unknown zones, pools, tags → 400. */
import { badRequest } from '../../domain/errors.ts';
import { normalizeMac } from '../../domain/machine/mac.ts';
import { parseStatus, simpleStatus, STATUS_NAMES } from '../../domain/machine/status.ts';
import type { NodeFilter } from '../../store/repos/machines.ts';
import type { Queryable } from '../context.ts';

export interface MachineQuery {
  hostname?: string[]; id?: string[]; mac_address?: string[]; domain?: string[]; zone?: string[]; not_in_zone?: string[];
  pool?: string[]; not_in_pool?: string[]; agent_name?: string[]; status?: string[]; simple_status?: string[];
  tags?: string[]; not_tags?: string[]; owner?: string[]; arch?: string[]; cpu_count?: number; mem?: number;
  power_state?: string[]; fabrics?: string[]; not_fabrics?: string[]; vlans?: string[]; not_vlans?: string[];
  link_speed?: number;
}

export async function compileMachineQuery(q: Queryable, f: MachineQuery): Promise<NodeFilter> {
  const where = ['n.node_type = 0'];
  const params: unknown[] = [];
  const p = (v: unknown) => { params.push(v); return `$${params.length}`; };
  const known = async (table: string, names: string[], label: string) => {
    const rows = await q.query<{ name: string }>(`select name from ${table} where name = any($1::text[])`, [names]);
    const missing = names.filter((n) => !rows.some((r) => r.name === n));
    if (missing.length) throw badRequest(`No such ${label}(s): ${missing.join(', ')}.`);
  };
  if (f.hostname?.length) where.push(`(n.hostname = any(${p(f.hostname)}::text[]) or n.hostname || '.' || (select name from domains where id = n.domain_id) = any(${p(f.hostname)}::text[]))`);
  if (f.id?.length) where.push(`n.system_id = any(${p(f.id)}::text[])`);
  if (f.mac_address?.length) {
    const macs = f.mac_address.map((m) => normalizeMac(m) ?? (() => { throw badRequest(`Invalid MAC address: '${m}'.`); })());
    where.push(`n.id in (select node_id from interfaces where mac_address = any(${p(macs)}::text[]))`);
  }
  if (f.domain?.length) where.push(`n.domain_id in (select id from domains where name = any(${p(f.domain)}::text[]))`);
  if (f.zone?.length) { await known('zones', f.zone, 'zone'); where.push(`n.zone_id in (select id from zones where name = any(${p(f.zone)}::text[]))`); }
  if (f.not_in_zone?.length) { await known('zones', f.not_in_zone, 'zone'); where.push(`n.zone_id not in (select id from zones where name = any(${p(f.not_in_zone)}::text[]))`); }
  if (f.pool?.length) { await known('resource_pools', f.pool, 'resource pool'); where.push(`n.pool_id in (select id from resource_pools where name = any(${p(f.pool)}::text[]))`); }
  if (f.not_in_pool?.length) { await known('resource_pools', f.not_in_pool, 'resource pool'); where.push(`coalesce(n.pool_id, -1) not in (select id from resource_pools where name = any(${p(f.not_in_pool)}::text[]))`); }
  if (f.agent_name?.length) where.push(`n.agent_name = any(${p(f.agent_name)}::text[])`);
  if (f.status?.length) {
    const nums = f.status.map((s) => parseStatus(s) ?? (() => { throw badRequest(`Invalid status: '${s}'. Use a status name such as ready, deployed or new.`); })());
    where.push(`n.status = any(${p(nums)}::int[])`);
  }
  if (f.simple_status?.length) {
    const wanted = new Set(f.simple_status.map((s) => s.toLowerCase()));
    const nums = Object.keys(STATUS_NAMES).map(Number).filter((s) => wanted.has(simpleStatus(s).toLowerCase()));
    where.push(`n.status = any(${p(nums)}::int[])`);
  }
  if (f.tags?.length) {
    await known('tags', f.tags, 'tag');
    for (const t of f.tags) where.push(`n.id in (select nt.node_id from node_tags nt join tags t on t.id = nt.tag_id where t.name = ${p(t)})`);
  }
  if (f.not_tags?.length) where.push(`n.id not in (select nt.node_id from node_tags nt join tags t on t.id = nt.tag_id where t.name = any(${p(f.not_tags)}::text[]))`);
  if (f.owner?.length) where.push(`n.owner_id in (select id from users where username = any(${p(f.owner)}::text[]))`);
  if (f.arch?.length) {
    const conds = f.arch.map((a) => (a.includes('/') ? `n.architecture = ${p(a)}` : `n.architecture like ${p(`${a}/%`)}`));
    where.push(`(${conds.join(' or ')})`);
  }
  if (f.cpu_count !== undefined) where.push(`n.cpu_count >= ${p(f.cpu_count)}`);
  if (f.mem !== undefined) where.push(`n.memory >= ${p(f.mem)}`);
  if (f.power_state?.length) where.push(`n.power_state = any(${p(f.power_state)}::text[])`);
  const ifaceIn = (cond: string) => `n.id in (select i.node_id from interfaces i join vlans v on v.id = i.vlan_id join fabrics fa on fa.id = v.fabric_id where ${cond})`;
  if (f.fabrics?.length) where.push(ifaceIn(`fa.name = any(${p(f.fabrics)}::text[])`));
  if (f.not_fabrics?.length) where.push(`not ${ifaceIn(`fa.name = any(${p(f.not_fabrics)}::text[])`)}`);
  if (f.vlans?.length) where.push(ifaceIn(`(v.name = any(${p(f.vlans)}::text[]) or v.vid::text = any(${p(f.vlans)}::text[]))`));
  if (f.not_vlans?.length) where.push(`not ${ifaceIn(`(v.name = any(${p(f.not_vlans)}::text[]) or v.vid::text = any(${p(f.not_vlans)}::text[]))`)}`);
  if (f.link_speed !== undefined) where.push(`n.id in (select node_id from interfaces where link_speed >= ${p(f.link_speed)})`);
  return { where, params };
}
