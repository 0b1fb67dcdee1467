/**
 * Network-configuration options a subnet hands out (RFC 2132): subnet mask (1), routers (3),
 * DNS servers (6), domain name (15), interface MTU (26), broadcast address (28), NTP servers (42),
 * and the domain search list (119, RFC 3397). Encoded once per configuration.
 */
import { Opt } from './codes.ts';
import { encodeIp, encodeIpList, encodeText, encodeU16 } from './options-basic.ts';
import { encodeDomainSearch } from './options-search.ts';

export interface NetworkSettings {
  mask: string;
  broadcast: string;
  router?: string;
  dnsServers?: readonly string[];
  domain?: string;
  searchDomains?: readonly string[];
  ntpServers?: readonly string[];
  mtu?: number;
}

/** Options sent even when the client did not ask (every client needs them to use its lease). */
export const ALWAYS_SENT: ReadonlySet<number> = new Set([Opt.SUBNET_MASK, Opt.ROUTERS, Opt.DNS_SERVERS, Opt.DOMAIN_NAME]);

/** Encodes the subnet's options; throws RangeError on values that cannot be encoded. */
export function encodeNetworkOptions(s: NetworkSettings): Map<number, Buffer> {
  const out = new Map<number, Buffer>();
  out.set(Opt.SUBNET_MASK, encodeIp(s.mask));
  if (s.router !== undefined) out.set(Opt.ROUTERS, encodeIp(s.router));
  if (s.dnsServers?.length) out.set(Opt.DNS_SERVERS, encodeIpList(s.dnsServers));
  if (s.domain !== undefined && s.domain !== '') {
    if (!/^[A-Za-z0-9.-]{1,253}$/.test(s.domain)) throw new RangeError(`domain "${s.domain}" is not a domain name`);
    out.set(Opt.DOMAIN_NAME, encodeText(s.domain));
  }
  if (s.mtu !== undefined) out.set(Opt.MTU, encodeU16(s.mtu));
  out.set(Opt.BROADCAST, encodeIp(s.broadcast));
  if (s.ntpServers?.length) out.set(Opt.NTP_SERVERS, encodeIpList(s.ntpServers));
  if (s.searchDomains?.length) {
    for (const d of s.searchDomains) {
      if (!/^[A-Za-z0-9.-]{1,253}$/.test(d)) throw new RangeError(`search domain "${d}" is not a domain name`);
    }
    out.set(Opt.DOMAIN_SEARCH, encodeDomainSearch(s.searchDomains));
  }
  return out;
}
