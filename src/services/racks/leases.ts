/**
 * DHCP leases a rack reports (MAAS's UpdateLease): a lease handed to an interface whose link is in
 * DHCP mode fills in that link's address; a release or expiry clears it. Leases of unknown MACs, or
 * of interfaces without a DHCP link, are not recorded (Plinth does no network discovery yet).
 */
import { normalizeMac } from '../../domain/machine/mac.ts';
import { AllocType } from '../../domain/network/types.ts';
import { tryParseIp, formatIp, contains, parseCidr } from '../../domain/network/ip.ts';
import type { ServiceContext } from '../context.ts';

export interface Lease { ip: string; mac: string; action: 'commit' | 'release' | 'expiry' }

export async function recordLeases(ctx: ServiceContext, leases: Lease[]): Promise<{ updated: number }> {
  let updated = 0;
  for (const l of leases) {
    const mac = normalizeMac(l.mac);
    const ip = tryParseIp(l.ip);
    if (!mac || !ip) continue;
    await ctx.db.tx(async (q) => {
      const links = await q.query<{ id: number; ip: string | null; cidr: string | null }>(
        `select a.id, a.ip, s.cidr from static_ip_addresses a
           join interfaces i on i.id = a.interface_id left join subnets s on s.id = a.subnet_id
          where i.mac_address = $1 and a.alloc_type = $2 order by a.id for update of a`, [mac, AllocType.DHCP]);
      const link = links.find((k) => !k.cidr || contains(parseCidr(k.cidr), ip));
      if (!link) return;
      const text = formatIp(ip);
      if (l.action === 'commit') {
        if (link.ip === text) return;
        const holder = await q.query<{ id: number }>('select id from static_ip_addresses where ip = $1', [text]);
        if (holder.length) return;
        await q.query('update static_ip_addresses set ip = $2, updated = now() where id = $1', [link.id, text]);
      } else {
        if (link.ip !== text) return;
        await q.query('update static_ip_addresses set ip = null, updated = now() where id = $1', [link.id]);
      }
      updated++;
    });
  }
  return { updated };
}
