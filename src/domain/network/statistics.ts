/**
 * Subnet statistics in MAAS's `GET subnets/{id}/?op=statistics` shape (§10.2).
 *
 * The "full range" is every in-use span (usage.ts, overlaps merged with their purposes joined)
 * plus every free address of the assignable universe as purpose "unused". Counts are over that
 * set: `total_addresses = num_available + num_unavailable`, `largest_available` is the longest free
 * run. Percentages are formatted like Python's `"{:.0%}"` (round half to even on the binary value).
 *
 * Suggestions (`include_suggestions`) follow MAAS: a gateway only when the subnet has none (IPv4:
 * the first address if free, else the last if free, else the first free one; IPv6: the
 * subnet-router anycast address, i.e. the network address), and a dynamic range only when the
 * subnet has none, carved from the top of the largest free block and capped at a quarter of the
 * subnet or half of what is free.
 *
 * Counts are JSON numbers: exact up to 2^53, approximate beyond (large IPv6 subnets).
 */
import { formatValue } from './ip.ts';
import { renderTagged, type PurposeRangeJson } from './ipam.ts';
import { condense, mergeSorted, subtractSpans, type TaggedSpan } from './spans.ts';
import { bit, collectUsage, inUseSpans, type IpamRange, type IpamSubnet, type Usage, type UsageOptions, type UsedAddress } from './usage.ts';

export interface SubnetStatistics {
  num_available: number;
  largest_available: number;
  num_unavailable: number;
  total_addresses: number;
  usage: number;
  usage_string: string;
  available_string: string;
  first_address: string;
  last_address: string;
  ip_version: 4 | 6;
  /** With `includeRanges`: the full range, "unused" spans included. */
  ranges?: PurposeRangeJson[];
  /** With `includeSuggestions`. */
  suggested_gateway?: string | null;
  suggested_dynamic_range?: PurposeRangeJson | null;
}

export interface StatisticsOptions extends UsageOptions {
  includeRanges?: boolean;
  includeSuggestions?: boolean;
}

/** Python's `format(x, ".0%")`: x*100 in double precision, then round half to even. */
export function percentString(x: number): string {
  const y = x * 100;
  const f = Math.floor(y);
  const diff = y - f;
  const n = diff > 0.5 ? f + 1 : diff < 0.5 ? f : f % 2 === 0 ? f : f + 1;
  return `${n}%`;
}

const size = (s: { first: bigint; last: bigint }) => s.last - s.first + 1n;
const UNUSED = bit('unused');
const isUnused = (s: TaggedSpan) => (s.mask & UNUSED) !== 0;

function suggestGateway(u: Usage, full: TaggedSpan[], total: bigint): bigint | null {
  if (full.length === 0) return null;
  if (u.net.version === 6) return total <= 2n ? null : u.net.network;
  const head = full[0];
  const tail = full[full.length - 1];
  if (isUnused(head)) return head.first;
  if (isUnused(tail)) return tail.last;
  return full.find(isUnused)?.first ?? null;
}

function suggestDynamic(full: TaggedSpan[], gateway: bigint | null, total: bigint, available: bigint): TaggedSpan | null {
  let largest: TaggedSpan | null = null;
  for (const s of full) if (isUnused(s) && (!largest || size(s) >= size(largest))) largest = s;
  if (!largest) return null;
  if (gateway !== null && size(largest) === 1n) return null;
  let { first, last } = largest;
  if (gateway !== null && gateway >= first && gateway <= last) {
    if (gateway === first) first += 1n;
    else last -= 1n;
  }
  const quarter = total >> 2n;
  const half = available >> 1n;
  const candidateSize = last - first + 1n;
  if (candidateSize > quarter) first = last - quarter;
  else if (candidateSize >= half) first = last - half + 1n;
  if (first >= last) return null;
  return { first, last, mask: bit('proposed-dynamic') };
}

export function statistics(
  subnet: IpamSubnet,
  ranges: readonly IpamRange[],
  used: readonly UsedAddress[] = [],
  options: StatisticsOptions = {},
): SubnetStatistics {
  const u = collectUsage(subnet, ranges, used, options);
  const inUse = condense(inUseSpans(u), true);
  const unused = subtractSpans([u.universe], inUse, true).map((s): TaggedSpan => ({ first: s.first, last: s.last, mask: UNUSED }));
  // Disjoint, each already maximal, and no in-use span carries "unused": a merge is enough.
  const full = mergeSorted(inUse, unused);
  let available = 0n;
  let unavailable = 0n;
  let largest = 0n;
  for (const s of full) {
    const n = size(s);
    if (isUnused(s)) {
      available += n;
      if (n > largest) largest = n;
    } else {
      unavailable += n;
    }
  }
  const total = available + unavailable;
  const fmt = (v: bigint) => formatValue(u.net.version, v);
  const firstValue = full.length > 0 ? full[0].first : u.net.network;
  const lastValue = full.length > 0 ? full[full.length - 1].last : u.net.network;
  const usage = total === 0n ? 0 : Number(unavailable) / Number(total);
  const availableShare = total === 0n ? 0 : Number(available) / Number(total);
  const out: SubnetStatistics = {
    num_available: Number(available),
    largest_available: Number(largest),
    num_unavailable: Number(unavailable),
    total_addresses: Number(total),
    usage,
    usage_string: percentString(usage),
    available_string: percentString(availableShare),
    first_address: fmt(firstValue),
    last_address: fmt(lastValue),
    ip_version: u.net.version,
  };
  if (options.includeRanges) out.ranges = full.map((s) => renderTagged(u, s));
  if (options.includeSuggestions) {
    const hasGateway = full.some((s) => (s.mask & bit('gateway-ip')) !== 0);
    const hasDynamic = full.some((s) => (s.mask & bit('dynamic')) !== 0);
    const gateway = hasGateway ? null : suggestGateway(u, full, total);
    const dynamic = hasDynamic ? null : suggestDynamic(full, gateway, total, available);
    out.suggested_gateway = gateway === null ? null : fmt(gateway);
    out.suggested_dynamic_range = dynamic ? renderTagged(u, dynamic) : null;
  }
  return out;
}
