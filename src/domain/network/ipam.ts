/**
 * IP address management, with MAAS's rules (see usage.ts for what counts as "in use"):
 *
 * - MANAGED subnet: reserved ranges are never handed out; dynamic ranges belong to DHCP
 *   (enlistment, commissioning, DHCP-mode links); every other address — minus the network and
 *   broadcast addresses, the gateway and the DNS servers — can be assigned statically.
 * - UNMANAGED subnet: only addresses inside reserved ranges can be assigned statically; dynamic
 *   ranges are refused there (validate.ts) and never assignable.
 *
 * All functions are pure and work by sort + sweep over spans, so a /16 with 50,000 used addresses
 * is answered in milliseconds.
 */
import { PlinthError } from '../errors.ts';
import { formatV4Number, formatValue, tryParseIp } from './ip.ts';
import { condense, findSpan, subtractSpans, type Span, type TaggedSpan } from './spans.ts';
import {
  collectUsage,
  inUseSpans,
  purposesOf,
  type IpamRange,
  type IpamSubnet,
  type RangePurpose,
  type Usage,
  type UsageOptions,
  type UsedAddress,
} from './usage.ts';

export type { IpamRange, IpamSubnet, RangePurpose, UsedAddress, UsageOptions } from './usage.ts';

/** MAAS `unreserved_ip_ranges` entry. */
export interface RangeJson {
  start: string;
  end: string;
  num_addresses: number;
}

/** MAAS `reserved_ip_ranges` / `statistics.ranges` entry; purposes sorted alphabetically. */
export interface PurposeRangeJson extends RangeJson {
  purpose: RangePurpose[];
}

export function renderSpan(u: Usage, s: Span): RangeJson {
  if (u.net.version === 4) {
    const first = Number(s.first);
    const last = Number(s.last);
    return { start: formatV4Number(first), end: formatV4Number(last), num_addresses: last - first + 1 };
  }
  return { start: formatValue(6, s.first), end: formatValue(6, s.last), num_addresses: Number(s.last - s.first + 1n) };
}

export function renderTagged(u: Usage, s: TaggedSpan): PurposeRangeJson {
  const r = renderSpan(u, s);
  return { start: r.start, end: r.end, num_addresses: r.num_addresses, purpose: purposesOf(s.mask) };
}

/**
 * The addresses Plinth may assign statically (observed addresses count as taken):
 * managed → the universe minus everything in use; unmanaged → the reserved ranges minus
 * everything else in use.
 */
function assignable(u: Usage): Span[] {
  if (u.managed) return subtractSpans([u.universe], inUseSpans(u), true);
  return subtractSpans(u.reserved, inUseSpans(u, { reserved: false }), true);
}

/** MAAS `reserved_ip_ranges`: every in-use span with its purposes (overlaps merged). */
export function reservedRanges(subnet: IpamSubnet, ranges: readonly IpamRange[], used: readonly UsedAddress[] = [], options: UsageOptions = {}): PurposeRangeJson[] {
  const u = collectUsage(subnet, ranges, used, options);
  return condense(inUseSpans(u), true).map((s) => renderTagged(u, s));
}

/** MAAS `unreserved_ip_ranges`: the free, assignable spans. */
export function unreservedRanges(subnet: IpamSubnet, ranges: readonly IpamRange[], used: readonly UsedAddress[] = [], options: UsageOptions = {}): RangeJson[] {
  const u = collectUsage(subnet, ranges, used, options);
  return assignable(u).map((s) => renderSpan(u, s));
}

/** Raised when a subnet has no address left to assign (maps to 503 like MAAS's exhaustion error). */
export class IpExhaustedError extends PlinthError {
  constructor(message: string) {
    super('unavailable', message);
  }
}

/**
 * The lowest free assignable address for an AUTO (or sticky-without-address) assignment.
 * Throws {@link IpExhaustedError} saying why nothing is left.
 */
export function pickAuto(subnet: IpamSubnet, ranges: readonly IpamRange[], usedIps: readonly UsedAddress[] = [], options: UsageOptions = {}): string {
  const u = collectUsage(subnet, ranges, usedIps, options);
  const free = assignable(u);
  if (free.length > 0) return formatValue(u.net.version, free[0].first);
  const head = `No more IPs available in subnet: ${subnet.cidr}.`;
  if (u.managed) {
    throw new IpExhaustedError(
      `${head} Every address outside its reserved and dynamic ranges (and other than the gateway and DNS servers) is already assigned; ` +
        'release addresses or shrink a range to make room.',
    );
  }
  if (u.reserved.length === 0) {
    throw new IpExhaustedError(`${head} The subnet is unmanaged, so addresses are only assigned from its reserved ranges, and it has none; add a reserved range.`);
  }
  throw new IpExhaustedError(
    `${head} The subnet is unmanaged, so addresses are only assigned from its reserved ranges, and every address in them is in use; ` +
      'widen a reserved range or release addresses.',
  );
}

export type StaticRefusal =
  | 'invalid'
  | 'out_of_subnet'
  | 'network_address'
  | 'broadcast_address'
  | 'gateway'
  | 'dns_server'
  | 'route_gateway'
  | 'dynamic_range'
  | 'reserved_range'
  | 'outside_reserved'
  | 'in_use';

export type StaticCheck = { ok: true; ip: string } | { ok: false; code: StaticRefusal; reason: string };

/**
 * Whether `ip` may be assigned statically on the subnet, and if not, why. `ok` carries the
 * canonical form of the address.
 */
export function checkStatic(
  ip: string,
  subnet: IpamSubnet,
  ranges: readonly IpamRange[],
  used: readonly UsedAddress[] = [],
  options: UsageOptions = {},
): StaticCheck {
  const refuse = (code: StaticRefusal, reason: string): StaticCheck => ({ ok: false, code, reason });
  const addr = tryParseIp(ip);
  if (!addr) return refuse('invalid', `${JSON.stringify(ip)} is not a valid IP address.`);
  const u = collectUsage(subnet, ranges, used, options);
  const text = formatValue(addr.version, addr.value);
  const v = addr.value;
  const size = 1n << BigInt((u.net.version === 4 ? 32 : 128) - u.net.prefix);
  if (addr.version !== u.net.version || v < u.net.network || v >= u.net.network + size) {
    return refuse('out_of_subnet', `${text} is not within subnet CIDR: ${subnet.cidr}.`);
  }
  if (v < u.universe.first) {
    const what = u.net.version === 4 ? 'the network address' : 'the subnet-router anycast address (RFC 4291 §2.6.1)';
    return refuse('network_address', `${text} is ${what} of ${subnet.cidr} and cannot be assigned.`);
  }
  if (v > u.universe.last) return refuse('broadcast_address', `${text} is the broadcast address of ${subnet.cidr} and cannot be assigned.`);
  if (u.gateway === v) return refuse('gateway', `${text} is the gateway of subnet ${subnet.cidr} and cannot be assigned.`);
  if (findSpan(u.dnsServers, v)) return refuse('dns_server', `${text} is a DNS server of subnet ${subnet.cidr} and cannot be assigned.`);
  if (findSpan(u.routeGateways, v)) return refuse('route_gateway', `${text} is the gateway of a static route from subnet ${subnet.cidr} and cannot be assigned.`);
  const within = (spans: readonly TaggedSpan[]) => spans.find((s) => v >= s.first && v <= s.last);
  const fmt = (x: bigint) => formatValue(u.net.version, x);
  const dyn = within(u.dynamic);
  if (dyn) return refuse('dynamic_range', `${text} is within the dynamic range from ${fmt(dyn.first)} to ${fmt(dyn.last)}.`);
  const res = within(u.reserved);
  if (u.managed && res) return refuse('reserved_range', `${text} is within the reserved range from ${fmt(res.first)} to ${fmt(res.last)}.`);
  if (!u.managed && !res) {
    return refuse(
      'outside_reserved',
      `${text} is not within a reserved range; subnet ${subnet.cidr} is unmanaged, so only addresses in its reserved ranges can be assigned.`,
    );
  }
  if (findSpan(u.assigned, v) || findSpan(u.discovered, v) || findSpan(u.excluded, v)) return refuse('in_use', `The IP address ${text} is already in use.`);
  return { ok: true, ip: text };
}
