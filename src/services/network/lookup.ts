/**
 * Finding fabrics, VLANs, spaces and subnets by what clients write in URLs and parameters: ids, names,
 * CIDRs and MAAS's `key:value` specifiers (`cidr:`, `name:`, `id:`, `vlan:`, `vid:`, `fabric:`,
 * `space:`, `ip:`). Resolution works over the loaded topology (small tables).
 */
import { badRequest, noMatch } from '../../domain/errors.ts';
import { contains, formatCidr, tryParseCidr, tryParseIp } from '../../domain/network/ip.ts';
import { loadTopology, type FabricRow, type SpaceRow, type SubnetRow, type Topology, type VlanRow } from '../../store/repos/network.ts';
import type { Queryable } from '../context.ts';

const isId = (s: string) => /^-?\d{1,9}$/.test(s);

function one<T>(found: T[], model: string, spec: string): T {
  if (found.length === 1) return found[0];
  if (!found.length) throw noMatch(model);
  throw badRequest(`'${spec}' matches ${found.length} ${model} objects; use a more specific specifier (e.g. id:<n>).`);
}

export function findFabrics(topo: Topology, spec: string): FabricRow[] {
  const [key, val] = split(spec, ['id', 'name', 'class_type']);
  const all = [...topo.fabrics.values()];
  if (key === 'id' || (key === null && isId(val))) return all.filter((f) => f.id === Number(val));
  if (key === 'class_type') return all.filter((f) => f.class_type === val);
  return all.filter((f) => f.name === val);
}

export function findSpaces(topo: Topology, spec: string): SpaceRow[] {
  const [key, val] = split(spec, ['id', 'name']);
  const all = [...topo.spaces.values()];
  if (key === 'id' || (key === null && isId(val))) return all.filter((s) => s.id === Number(val));
  return all.filter((s) => s.name === val);
}

/** VLANs by id (bare number), `name:`, `vid:`, `fabric:`, `space:`. */
export function findVlans(topo: Topology, spec: string): VlanRow[] {
  const [key, val] = split(spec, ['id', 'name', 'vid', 'fabric', 'space']);
  const all = [...topo.vlans.values()];
  if (key === 'id' || (key === null && isId(val))) return all.filter((v) => v.id === Number(val));
  if (key === 'vid') return isId(val) ? all.filter((v) => v.vid === Number(val)) : [];
  if (key === 'fabric') {
    const ids = new Set(findFabrics(topo, val).map((f) => f.id));
    return all.filter((v) => ids.has(v.fabric_id));
  }
  if (key === 'space') {
    const ids = new Set(findSpaces(topo, val).map((s) => s.id));
    return all.filter((v) => v.space_id !== null && ids.has(v.space_id));
  }
  return all.filter((v) => v.name === val);
}

export function findSubnets(topo: Topology, spec: string): SubnetRow[] {
  const [key, val] = split(spec, ['id', 'cidr', 'name', 'vlan', 'vid', 'fabric', 'space', 'ip']);
  const all = [...topo.subnets.values()];
  const onVlans = (vlans: VlanRow[]) => {
    const ids = new Set(vlans.map((v) => v.id));
    return all.filter((s) => ids.has(s.vlan_id));
  };
  switch (key) {
    case 'id': return all.filter((s) => s.id === Number(val));
    case 'cidr': return byCidr(all, val);
    case 'name': return all.filter((s) => s.name === val);
    case 'vlan': return onVlans(findVlans(topo, val));
    case 'vid': return onVlans(findVlans(topo, `vid:${val}`));
    case 'fabric': return onVlans(findVlans(topo, `fabric:${val}`));
    case 'space': return onVlans(findVlans(topo, `space:${val}`));
    case 'ip': {
      const a = tryParseIp(val);
      return a ? all.filter((s) => { const n = tryParseCidr(s.cidr); return !!n && contains(n, a); }) : [];
    }
    default:
      if (isId(val)) return all.filter((s) => s.id === Number(val));
      if (val.includes('/')) return byCidr(all, val);
      return all.filter((s) => s.name === val);
  }
}

function byCidr(all: SubnetRow[], text: string): SubnetRow[] {
  const net = tryParseCidr(text, { strict: false });
  if (!net) return [];
  const canonical = formatCidr(net);
  return all.filter((s) => s.cidr === canonical);
}

/** `key:value` when key is one of `keys`; else [null, whole]. */
function split(spec: string, keys: string[]): [string | null, string] {
  const i = spec.indexOf(':');
  if (i > 0 && keys.includes(spec.slice(0, i))) return [spec.slice(0, i), spec.slice(i + 1)];
  return [null, spec];
}

export async function getFabric(q: Queryable, spec: string, topo?: Topology) {
  return one(findFabrics(topo ?? await loadTopology(q), spec), 'Fabric', spec);
}
export async function getSpace(q: Queryable, spec: string, topo?: Topology) {
  return one(findSpaces(topo ?? await loadTopology(q), spec), 'Space', spec);
}
export async function getVlan(q: Queryable, spec: string, topo?: Topology) {
  return one(findVlans(topo ?? await loadTopology(q), spec), 'VLAN', spec);
}
export async function getSubnet(q: Queryable, spec: string, topo?: Topology) {
  return one(findSubnets(topo ?? await loadTopology(q), spec), 'Subnet', spec);
}

/** The VLAN `fabrics/{fabric}/vlans/{vid}/` names. */
export async function getVlanOfFabric(q: Queryable, fabricSpec: string, vid: string, topo?: Topology) {
  const t = topo ?? await loadTopology(q);
  const fabric = await getFabric(q, fabricSpec, t);
  if (!isId(vid)) throw noMatch('VLAN');
  return one([...t.vlans.values()].filter((v) => v.fabric_id === fabric.id && v.vid === Number(vid)), 'VLAN', vid);
}

/** The subnet an address falls in, if any. */
export function subnetOf(topo: Topology, ip: string): SubnetRow | undefined {
  return findSubnets(topo, `ip:${ip}`)[0];
}
