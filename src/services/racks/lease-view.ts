/**
 * The region's shared view of DHCP leases, for failover (migration 011): what each rack reports is
 * remembered per address, and the active leases of a failover VLAN go out with every DHCP push to
 * its racks (services/racks/dhcp-push.ts).
 *
 * Reports from two racks about one address can cross (the secondary renewed a client while the old
 * primary, back again, reports that lease as expired in its own records): an expiry removes a row
 * only when the row itself has run out, and a release only the holder's own row.
 */
import { normalizeMac } from '../../domain/machine/mac.ts';
import { contains, formatIp, parseCidr, tryParseIp } from '../../domain/network/ip.ts';
import type { DhcpKnownLease } from '../../domain/network/dhcp-failover.ts';
import type { Queryable } from '../../store/db.ts';
import type { ServiceContext } from '../context.ts';

export interface ReportedLease { ip: string; mac: string; action: 'commit' | 'release' | 'expiry'; expires?: string; client_key?: string }

/** A lease report without an end time: hold the address this long (the rack's default lease). */
const DEFAULT_LEASE_MS = 600_000;

export async function rememberLeases(ctx: ServiceContext, rack: string, leases: readonly ReportedLease[]): Promise<void> {
  if (!leases.length) return;
  const subnets = (await ctx.db.query<{ id: number; cidr: string }>('select id, cidr from subnets')).map((s) => ({ id: s.id, net: parseCidr(s.cidr, { strict: false }) }));
  const now = ctx.now().getTime();
  for (const l of leases) {
    const addr = tryParseIp(l.ip);
    const mac = normalizeMac(l.mac);
    const subnet = addr && subnets.find((s) => contains(s.net, addr));
    if (!addr || !mac || !subnet) continue;
    const ip = formatIp(addr);
    if (l.action === 'commit') {
      const end = l.expires ? Date.parse(l.expires) : NaN;
      const expires = new Date(Number.isNaN(end) ? now + DEFAULT_LEASE_MS : end).toISOString();
      await ctx.db.query(
        `insert into dhcp_leases (ip, subnet_id, mac, client_key, rack, expires, updated) values ($1, $2, $3, $4, $5, $6, now())
         on conflict (ip) do update set subnet_id = excluded.subnet_id, mac = excluded.mac, client_key = excluded.client_key,
           rack = excluded.rack, expires = excluded.expires, updated = now()`,
        [ip, subnet.id, mac, l.client_key ?? null, rack, expires]);
    } else if (l.action === 'release') {
      await ctx.db.query('delete from dhcp_leases where ip = $1 and mac = $2', [ip, mac]);
    } else {
      await ctx.db.query('delete from dhcp_leases where ip = $1 and mac = $2 and expires <= $3', [ip, mac, new Date(now + 1000).toISOString()]);
    }
  }
}

interface LeaseRow { subnet_id: number; ip: string; mac: string; client_key: string | null; expires: Date | string; rack: string | null; updated: Date | string }

const iso = (d: Date | string) => new Date(d).toISOString();

/** Active leases of these subnets, by address. */
export async function activeLeases(q: Queryable, subnetIds: readonly number[], now: Date): Promise<DhcpKnownLease[]> {
  if (!subnetIds.length) return [];
  const rows = await q.query<LeaseRow>(
    'select subnet_id, ip, mac, client_key, expires, rack, updated from dhcp_leases where subnet_id = any($1::int[]) and expires > $2 order by subnet_id, ip',
    [subnetIds, now.toISOString()]);
  return rows.map((r) => ({ subnet_id: r.subnet_id, ip: r.ip, mac: r.mac, client_key: r.client_key, expires: iso(r.expires), rack: r.rack, updated: iso(r.updated) }));
}

/** Forgets leases that ended long ago (nobody renews them; a grace hour keeps late reports harmless). */
export async function pruneLeases(q: Queryable, now: Date): Promise<void> {
  await q.query('delete from dhcp_leases where expires < $1', [new Date(now.getTime() - 3600_000).toISOString()]);
}
