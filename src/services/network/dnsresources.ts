/**
 * DNS resources: a name in a domain with A/AAAA addresses (`ip_addresses`, space-separated) and a TTL.
 * Addresses are shared with IPAM: a named address that nothing holds yet becomes a user-reserved
 * address of its subnet (so it is never handed out), and goes away with the last name pointing at it.
 */
import { invalid, noMatch } from '../../domain/errors.ts';
import { formatIp, tryParseIp } from '../../domain/network/ip.ts';
import { AllocType } from '../../domain/network/types.ts';
import { loadTopology } from '../../store/repos/network.ts';
import { dnsRepo, type DnsResourceRow } from '../../store/repos/network-dns.ts';
import { addressesRepo, type IpAddressView } from '../../store/repos/network-ips.ts';
import { domainsRepo } from '../../store/repos/places.ts';
import type { Actor, Queryable, ServiceContext } from '../context.ts';
import { lockSubnet } from './allocate.ts';
import { requireAdmin, splitList } from './common.ts';
import { findDomain } from './domains.ts';
import { subnetOf } from './lookup.ts';

const LABEL = /^(?!-)[a-z0-9_-]{1,63}(?<!-)$/i;
const validName = (name: string) => name === '@' || name.split('.').every((l) => LABEL.test(l) || l === '*');

export interface DnsFields { fqdn?: string; name?: string; domain?: string; address_ttl?: string; ip_addresses?: string[] }

/** name + domain from `fqdn` (split at the first dot) or from `name` and `domain` (default domain). */
async function nameAndDomain(q: Queryable, f: DnsFields, base?: DnsResourceRow) {
  let name = f.name ?? base?.name;
  let domainSpec = f.domain;
  if (f.fqdn !== undefined) {
    const dot = f.fqdn.indexOf('.');
    if (dot <= 0) throw invalid({ fqdn: [`"${f.fqdn}" is not a fully qualified name: expected <name>.<domain>.`] });
    name = f.fqdn.slice(0, dot);
    domainSpec = f.fqdn.slice(dot + 1).replace(/\.$/, '');
  }
  if (!name) throw invalid({ name: ['This field is required (or give fqdn).'] });
  if (!validName(name)) throw invalid({ name: [`"${name}" is not a valid DNS name.`] });
  const domain = domainSpec !== undefined
    ? await findDomain(q, domainSpec).catch(() => { throw invalid({ [f.fqdn !== undefined ? 'fqdn' : 'domain']: [`Domain ${domainSpec} does not exist.`] }); })
    : base ? (await domainsRepo.byId(q, base.domain_id))! : (await domainsRepo.default(q))!;
  return { name, domain };
}

function ttl(text: string | undefined, base: number | null | undefined): number | null {
  if (text === undefined) return base ?? null;
  if (text.trim() === '') return null;
  if (!/^\d{1,9}$/.test(text.trim())) throw invalid({ address_ttl: ['Enter a whole number of seconds (0 or more).'] });
  return Number(text.trim());
}

/** The address rows for the given IPs: existing ones are shared, others are created (under their subnet's lock). */
async function addressRows(q: Queryable, ips: string[], field: string): Promise<number[]> {
  const topo = await loadTopology(q);
  const ids: number[] = [];
  for (const text of ips) {
    const a = tryParseIp(text);
    if (!a) throw invalid({ [field]: [`"${text}" is not a valid IP address.`] });
    const ip = formatIp(a);
    const subnet = subnetOf(topo, ip);
    if (subnet) await lockSubnet(q, subnet.id);
    const existing = await addressesRepo.byIp(q, ip);
    ids.push(existing ? existing.id : (await addressesRepo.insert(q, { ip, alloc_type: AllocType.USER_RESERVED, subnet_id: subnet?.id ?? null })).id);
  }
  return ids;
}

/** Points `hostname` (a name in the default domain, or an FQDN) at an address; used by ipaddresses reserve. */
export async function attachName(q: Queryable, hostname: string, addressId: number, field: string): Promise<void> {
  const fqdnGiven = hostname.includes('.');
  const { name, domain } = await nameAndDomain(q, fqdnGiven ? { fqdn: hostname } : { name: hostname }).catch((e) => {
    throw invalid({ [field]: [e instanceof Error ? e.message : String(e)] });
  });
  const res = (await dnsRepo.byName(q, name, domain.id)) ?? (await dnsRepo.insert(q, { name, domain_id: domain.id, address_ttl: null }));
  await dnsRepo.link(q, res.id, addressId);
}

async function resourceById(q: Queryable, id: string): Promise<DnsResourceRow> {
  const row = /^\d{1,9}$/.test(id) ? await dnsRepo.byId(q, Number(id)) : undefined;
  if (!row) throw noMatch('DNSResource');
  return row;
}

export interface DnsListing { resources: Array<{ row: DnsResourceRow | { id: -1; fqdn: string }; addressIds: number[] }>; addresses: IpAddressView[] }

async function listing(q: Queryable, rows: DnsResourceRow[]): Promise<DnsListing> {
  const links = rows.length ? await dnsRepo.addressIds(q, rows.map((r) => r.id)) : [];
  const ids = [...new Set(links.map((l) => l.ip_address_id))];
  const addresses = ids.length ? await addressesRepo.views(q, 'a.id = any($1::int[])', [ids]) : [];
  return { resources: rows.map((row) => ({ row, addressIds: links.filter((l) => l.dnsresource_id === row.id).map((l) => l.ip_address_id) })), addresses };
}

export async function createDnsResource(ctx: ServiceContext, actor: Actor, f: DnsFields): Promise<DnsListing> {
  requireAdmin(actor);
  return ctx.db.tx(async (q) => {
    const { name, domain } = await nameAndDomain(q, f);
    if (await dnsRepo.byName(q, name, domain.id)) throw invalid({ name: [`DNS resource ${name}.${domain.name} already exists.`] });
    const row = await dnsRepo.insert(q, { name, domain_id: domain.id, address_ttl: ttl(f.address_ttl, null) });
    for (const id of await addressRows(q, splitList(f.ip_addresses ?? []), 'ip_addresses')) await dnsRepo.link(q, row.id, id);
    return listing(q, [row]);
  });
}

export async function updateDnsResource(ctx: ServiceContext, actor: Actor, id: string, f: DnsFields): Promise<DnsListing> {
  requireAdmin(actor);
  return ctx.db.tx(async (q) => {
    const base = await resourceById(q, id);
    const { name, domain } = await nameAndDomain(q, f, base);
    const other = await dnsRepo.byName(q, name, domain.id);
    if (other && other.id !== base.id) throw invalid({ name: [`DNS resource ${name}.${domain.name} already exists.`] });
    const row = await dnsRepo.update(q, base.id, { name, domain_id: domain.id, address_ttl: ttl(f.address_ttl, base.address_ttl) });
    if (f.ip_addresses !== undefined) {
      const before = (await dnsRepo.addressIds(q, [row.id])).map((l) => l.ip_address_id);
      const ids = await addressRows(q, splitList(f.ip_addresses), 'ip_addresses');
      await dnsRepo.unlinkAll(q, row.id);
      for (const a of ids) await dnsRepo.link(q, row.id, a);
      await dnsRepo.dropOrphans(q, before);
    }
    return listing(q, [row]);
  });
}

export async function deleteDnsResource(ctx: ServiceContext, actor: Actor, id: string): Promise<void> {
  requireAdmin(actor);
  await ctx.db.tx(async (q) => {
    const row = await resourceById(q, id);
    const before = (await dnsRepo.addressIds(q, [row.id])).map((l) => l.ip_address_id);
    await dnsRepo.delete(q, row.id);
    await dnsRepo.dropOrphans(q, before);
  });
}

export const getDnsResource = async (ctx: ServiceContext, id: string) => listing(ctx.db, [await resourceById(ctx.db, id)]);

export interface DnsQuery { fqdn?: string; name?: string; domain?: string; rrtype?: string; all?: boolean }

/**
 * Resources matching the filters. `all` adds each node's implicit record (id -1, its hostname in its
 * domain with its assigned addresses). `rrtype` A/AAAA keeps resources with addresses of that family.
 */
export async function listDnsResources(ctx: ServiceContext, f: DnsQuery): Promise<DnsListing> {
  const q = ctx.db;
  let name = f.name;
  let domain = f.domain;
  if (f.fqdn) {
    const dot = f.fqdn.indexOf('.');
    name = dot > 0 ? f.fqdn.slice(0, dot) : f.fqdn;
    domain = dot > 0 ? f.fqdn.slice(dot + 1).replace(/\.$/, '') : domain;
  }
  const rows = (await dnsRepo.list(q)).filter((r) => (name === undefined || r.name === name)
    && (domain === undefined || r.domain_name === domain || String(r.domain_id) === domain));
  const out = await listing(q, rows);
  if (f.all) {
    const views = await addressesRepo.views(q, 'a.node_id is not null and a.ip is not null and a.alloc_type in (0, 1, 4, 5)', []);
    const byNode = new Map<string, IpAddressView[]>();
    for (const v of views) {
      if ((name !== undefined && v.hostname !== name) || (domain !== undefined && v.domain_name !== domain)) continue;
      const fqdn = `${v.hostname}.${v.domain_name}`;
      byNode.set(fqdn, [...(byNode.get(fqdn) ?? []), v]);
    }
    for (const [fqdn, vs] of byNode) {
      out.resources.push({ row: { id: -1, fqdn }, addressIds: vs.map((v) => v.id) });
      out.addresses.push(...vs);
    }
  }
  const rrtype = f.rrtype?.toUpperCase();
  if (rrtype) {
    const family = rrtype === 'A' ? 4 : rrtype === 'AAAA' ? 6 : 0;
    const fam = new Map(out.addresses.map((a) => [a.id, a.ip!.includes(':') ? 6 : 4]));
    out.resources = family === 0 ? [] : out.resources
      .map((r) => ({ ...r, addressIds: r.addressIds.filter((id) => fam.get(id) === family) }))
      .filter((r) => r.addressIds.length > 0);
  }
  return out;
}
