/** Subnets: create on a VLAN, update, delete. Checked by the domain's validateSubnet. */
import { conflict, invalid } from '../../domain/errors.ts';
import { BOOT_METHODS } from '../../domain/network/dhcp-boot.ts';
import { contains, formatCidr, parseCidr, tryParseCidr, tryParseIp } from '../../domain/network/ip.ts';
import { validateSubnet } from '../../domain/network/validate.ts';
import { IPV6_ADDRESS_MODES } from '../../domain/network/types.ts';
import { loadTopology, type SubnetRow, type Topology, type VlanRow } from '../../store/repos/network.ts';
import { addressesRepo } from '../../store/repos/network-ips.ts';
import { rangesRepo, subnetsRepo, type SubnetWrite } from '../../store/repos/network-subnets.ts';
import type { Actor, Queryable, ServiceContext } from '../context.ts';
import { lockSubnet } from './allocate.ts';
import { parseAddress, requireAdmin, splitList, throwIssues } from './common.ts';
import { asDomainRange, assertDhcpKeepsRange } from './vlans.ts';
import { findFabrics, findVlans, getSubnet } from './lookup.ts';

export interface SubnetFields {
  cidr?: string; name?: string; description?: string; vlan?: string; fabric?: string; vid?: number; gateway_ip?: string;
  dns_servers?: string[]; rdns_mode?: number; allow_dns?: boolean; allow_proxy?: boolean; active_discovery?: boolean;
  managed?: boolean; disabled_boot_architectures?: string[]; ipv6_address_mode?: string;
}

export const getSubnetBySpec = (ctx: ServiceContext, spec: string) => getSubnet(ctx.db, spec);
export const listSubnets = (ctx: ServiceContext) => subnetsRepo.list(ctx.db);

/** The VLAN a subnet goes on: `vlan`, else `fabric` (+ `vid`, default 0), else `vid` on fabric-0, else fabric-0's untagged VLAN. */
function resolveVlan(topo: Topology, f: SubnetFields, current: number | undefined): number {
  const only = (vs: VlanRow[], field: string, what: string) => {
    if (vs.length !== 1) throw invalid({ [field]: [`${what} does not exist.`] });
    return vs[0].id;
  };
  if (f.vlan !== undefined) return only(findVlans(topo, f.vlan), 'vlan', `VLAN ${f.vlan}`);
  if (f.fabric !== undefined || f.vid !== undefined) {
    const fabrics = f.fabric !== undefined ? findFabrics(topo, f.fabric) : [topo.fabrics.get(0)!];
    if (fabrics.length !== 1) throw invalid({ fabric: [`Fabric ${f.fabric} does not exist.`] });
    const vid = f.vid ?? 0;
    return only([...topo.vlans.values()].filter((v) => v.fabric_id === fabrics[0].id && v.vid === vid), 'vid', `VLAN with vid ${vid} in fabric ${fabrics[0].name}`);
  }
  if (current !== undefined) return current;
  return [...topo.vlans.values()].find((v) => v.fabric_id === 0 && v.vid === 0)!.id;
}

function fieldsToWrite(topo: Topology, f: SubnetFields, base: SubnetRow | undefined): SubnetWrite {
  const errors: Record<string, string[]> = {};
  if (f.rdns_mode !== undefined && ![0, 1, 2].includes(f.rdns_mode)) errors.rdns_mode = [`Select a valid choice. ${f.rdns_mode} is not one of the available choices (0, 1, 2).`];
  const archs = f.disabled_boot_architectures === undefined ? base?.disabled_boot_architectures ?? [] : splitList(f.disabled_boot_architectures);
  const unknown = archs.filter((a) => !(BOOT_METHODS as readonly string[]).includes(a));
  if (unknown.length) errors.disabled_boot_architectures = [`Unknown boot architecture(s): ${unknown.join(', ')}. Known: ${BOOT_METHODS.join(', ')}.`];
  const cidr = f.cidr ?? base?.cidr ?? '';
  const isV6 = cidr.includes(':');
  let mode = f.ipv6_address_mode ?? (base && base.cidr.includes(':') === isV6 ? base.ipv6_address_mode : null) ?? (isV6 ? 'dhcpv6-stateful' : null);
  if (f.ipv6_address_mode !== undefined && !isV6) errors.ipv6_address_mode = ['ipv6_address_mode applies to IPv6 subnets only.'];
  else if (mode !== null && !(IPV6_ADDRESS_MODES as readonly string[]).includes(mode))
    errors.ipv6_address_mode = [`Select a valid choice. ${mode} is not one of the available choices (${IPV6_ADDRESS_MODES.join(', ')}).`];
  if (!isV6) mode = null;
  if (Object.keys(errors).length) throw invalid(errors);
  const gateway = f.gateway_ip === undefined ? base?.gateway_ip ?? null : f.gateway_ip.trim() === '' ? null : f.gateway_ip.trim();
  const dns = f.dns_servers === undefined ? base?.dns_servers ?? [] : splitList(f.dns_servers);
  return {
    name: f.name ?? base?.name ?? '', description: f.description ?? base?.description ?? '',
    vlan_id: resolveVlan(topo, f, base?.vlan_id), cidr: f.cidr ?? base?.cidr ?? '',
    gateway_ip: gateway, dns_servers: dns, managed: f.managed ?? base?.managed ?? true,
    allow_dns: f.allow_dns ?? base?.allow_dns ?? true, allow_proxy: f.allow_proxy ?? base?.allow_proxy ?? true,
    active_discovery: f.active_discovery ?? base?.active_discovery ?? false, rdns_mode: f.rdns_mode ?? base?.rdns_mode ?? 2,
    disabled_boot_architectures: archs, ipv6_address_mode: mode,
  };
}

/** Validates and canonicalises (CIDR, gateway, DNS servers) against the other subnets and own ranges. */
async function validated(q: Queryable, topo: Topology, w: SubnetWrite, id: number | undefined): Promise<SubnetWrite> {
  const ranges = id === undefined ? [] : (await rangesRepo.bySubnet(q, id)).map(asDomainRange);
  throwIssues(validateSubnet({ ...w, id }, { subnets: [...topo.subnets.values()], ranges }));
  const cidr = formatCidr(parseCidr(w.cidr, { strict: true }));
  const out = {
    ...w, cidr, name: w.name || cidr,
    gateway_ip: w.gateway_ip === null ? null : parseAddress('gateway_ip', w.gateway_ip),
    dns_servers: w.dns_servers.map((d) => parseAddress('dns_servers', d)),
  };
  const clash = [...topo.subnets.values()].find((s) => s.name === out.name && s.id !== id);
  if (clash) throw invalid({ name: ['Subnet with this Name already exists.'] });
  return out;
}

export async function createSubnet(ctx: ServiceContext, actor: Actor, f: SubnetFields): Promise<SubnetRow> {
  requireAdmin(actor);
  if (!f.cidr) throw invalid({ cidr: ['This field is required.'] });
  return ctx.db.tx(async (q) => {
    const topo = await loadTopology(q);
    return subnetsRepo.insert(q, await validated(q, topo, fieldsToWrite(topo, f, undefined), undefined));
  });
}

export async function updateSubnet(ctx: ServiceContext, actor: Actor, spec: string, f: SubnetFields): Promise<SubnetRow> {
  requireAdmin(actor);
  return ctx.db.tx(async (q) => {
    const row = await getSubnet(q, spec);
    await lockSubnet(q, row.id);
    const topo = await loadTopology(q);
    const w = await validated(q, topo, fieldsToWrite(topo, f, topo.subnets.get(row.id)), row.id);
    if (w.cidr !== row.cidr) await assertFits(q, row.id, w.cidr);
    if (w.vlan_id !== row.vlan_id) await assertDhcpKeepsRange(q, row.vlan_id, { subnetId: row.id });
    return subnetsRepo.update(q, row.id, w);
  });
}

/** A subnet's ranges and addresses must stay inside a changed CIDR. */
async function assertFits(q: Queryable, subnetId: number, cidr: string) {
  const net = tryParseCidr(cidr)!;
  const inside = (ip: string) => { const a = tryParseIp(ip); return !!a && contains(net, a); };
  const outRanges = (await rangesRepo.bySubnet(q, subnetId)).filter((r) => !inside(r.start_ip) || !inside(r.end_ip));
  const outIps = (await addressesRepo.usedInSubnet(q, subnetId)).filter((u) => !inside(u.ip));
  const problems = [
    ...outRanges.map((r) => `${r.type} range ${r.start_ip}-${r.end_ip}`),
    ...outIps.slice(0, 5).map((u) => `assigned address ${u.ip}`),
  ];
  if (problems.length) throw invalid({ cidr: [`${cidr} would leave ${problems.join(', ')}${outIps.length > 5 ? ` (and ${outIps.length - 5} more addresses)` : ''} outside the subnet.`] });
}

export async function deleteSubnet(ctx: ServiceContext, actor: Actor, spec: string, force: boolean): Promise<void> {
  requireAdmin(actor);
  await ctx.db.tx(async (q) => {
    const row = await getSubnet(q, spec);
    await lockSubnet(q, row.id);
    await assertDhcpKeepsRange(q, row.vlan_id, { subnetId: row.id });
    if (!force) {
      const held = (await addressesRepo.views(q, 'a.subnet_id = $1 and a.ip is not null and a.alloc_type <> 6', [row.id]));
      if (held.length) {
        const who = held.slice(0, 5).map((a) => `${a.ip} (${a.hostname ?? a.username ?? 'unowned'})`).join(', ');
        throw conflict(`Subnet ${row.cidr} still has ${held.length} assigned address(es): ${who}${held.length > 5 ? ', …' : ''}. Release them, or delete with force=true.`);
      }
    }
    await subnetsRepo.delete(q, row.id);
  });
}
