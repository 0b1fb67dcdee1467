/** DNS domains: the default `maas` (id 0) and any others; one is the default for new nodes. */
import { badRequest, conflict, invalid, noMatch } from '../../domain/errors.ts';
import type { Queryable } from '../../store/db.ts';
import { domainWrites, dnsRepo } from '../../store/repos/network-dns.ts';
import { domainsRepo, type DomainRow } from '../../store/repos/places.ts';
import type { Actor, ServiceContext } from '../context.ts';
import { requireAdmin } from './common.ts';

const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/i;
export const validDomainName = (name: string) => name.length <= 253 && name.split('.').every((l) => LABEL.test(l));

export async function findDomain(q: Queryable, spec: string): Promise<DomainRow> {
  const row = /^\d{1,9}$/.test(spec) ? await domainsRepo.byId(q, Number(spec)) : await domainsRepo.byName(q, spec);
  if (!row) throw noMatch('Domain');
  return row;
}
export const getDomain = (ctx: ServiceContext, spec: string) => findDomain(ctx.db, spec);

/** Domains with their resource record counts (DNS resource addresses). */
export async function listDomains(ctx: ServiceContext): Promise<Array<{ row: DomainRow; records: number }>> {
  const [rows, counts] = await Promise.all([domainsRepo.list(ctx.db), domainWrites.counts(ctx.db)]);
  return rows.map((row) => ({ row, records: counts.get(row.id)?.records ?? 0 }));
}
export async function domainRecords(ctx: ServiceContext, id: number): Promise<number> {
  return (await domainWrites.counts(ctx.db)).get(id)?.records ?? 0;
}

export interface DomainFields { name?: string; authoritative?: boolean; ttl?: number | null }

function check(f: DomainFields) {
  const errors: Record<string, string[]> = {};
  if (f.name !== undefined && !validDomainName(f.name)) errors.name = [`"${f.name}" is not a valid domain name: dot-separated labels of letters, digits and hyphens.`];
  if (f.ttl !== undefined && f.ttl !== null && (f.ttl < 1 || f.ttl > 604800)) errors.ttl = ['TTL must be between 1 and 604800 seconds.'];
  if (Object.keys(errors).length) throw invalid(errors);
}

export async function createDomain(ctx: ServiceContext, actor: Actor, f: DomainFields): Promise<DomainRow> {
  requireAdmin(actor);
  if (!f.name) throw invalid({ name: ['This field is required.'] });
  check(f);
  return ctx.db.tx(async (q) => {
    if (await domainsRepo.byName(q, f.name!)) throw invalid({ name: ['Domain with this Name already exists.'] });
    return domainWrites.insert(q, { name: f.name!, authoritative: f.authoritative ?? true, ttl: f.ttl ?? null });
  });
}

export async function updateDomain(ctx: ServiceContext, actor: Actor, spec: string, f: DomainFields): Promise<DomainRow> {
  requireAdmin(actor);
  check(f);
  return ctx.db.tx(async (q) => {
    const row = await findDomain(q, spec);
    if (f.name !== undefined && f.name !== row.name) {
      if (await domainsRepo.byName(q, f.name)) throw invalid({ name: ['Domain with this Name already exists.'] });
    }
    return domainWrites.update(q, row.id, {
      name: f.name ?? row.name, authoritative: f.authoritative ?? row.authoritative, ttl: f.ttl === undefined ? row.ttl : f.ttl,
    });
  });
}

export async function deleteDomain(ctx: ServiceContext, actor: Actor, spec: string): Promise<void> {
  requireAdmin(actor);
  await ctx.db.tx(async (q) => {
    const row = await findDomain(q, spec);
    if (row.is_default) throw badRequest(`'${row.name}' is the default domain; make another domain the default (op=set_default) before deleting it.`);
    const nodes = (await domainWrites.counts(q)).get(row.id)?.nodes ?? 0;
    const resources = await dnsRepo.inDomain(q, row.id);
    if (nodes || resources) throw conflict(`Cannot delete domain ${row.name}: ${nodes} node(s) and ${resources} DNS resource(s) are still in it.`);
    await domainWrites.delete(q, row.id);
  });
}

export async function setDefaultDomain(ctx: ServiceContext, actor: Actor, spec: string): Promise<DomainRow> {
  requireAdmin(actor);
  return ctx.db.tx(async (q) => {
    const row = await findDomain(q, spec);
    await domainWrites.setDefault(q, row.id);
    return (await domainsRepo.byId(q, row.id))!;
  });
}
