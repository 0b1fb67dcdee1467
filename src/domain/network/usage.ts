/**
 * Which addresses of a subnet are in use, and why — the common ground of IPAM (ipam.ts) and
 * subnet statistics (statistics.ts). Follows MAAS's subnet-utilisation rules:
 *
 * In use on every subnet:
 * - IPv6 only: the subnet-router anycast address (the network address, RFC 4291 §2.6.1) unless
 *   /127 or /128 (RFC 6164), and on a /64 the block ::1 – ::ffff:ffff (purpose "reserved"), which
 *   MAAS keeps for the administrator and for future per-node addressing;
 * - the gateway (and gateways of static routes leaving the subnet): "gateway-ip";
 * - DNS servers inside the subnet: "dns-server";
 * - every assigned address: "assigned-ip" (observed addresses can be left out);
 * - reserved ranges: "reserved"; dynamic ranges: "dynamic";
 * - caller-supplied exclusions: "excluded".
 *
 * The assignable universe of a subnet is every address except the network address (IPv4 below
 * /31, IPv6 below /127) and the IPv4 broadcast address (below /31, RFC 3021).
 *
 * Assigned addresses (possibly tens of thousands) are parsed, sorted with a typed-array sort and
 * folded into runs of consecutive addresses before any span logic sees them.
 */
import { AddressError, formatValue, networkSize, parseCidr, parseIp, type IpNetwork, type IpVersion } from './ip.ts';
import { byStart, mergeSorted, type Span, type TaggedSpan } from './spans.ts';
import { AllocType, type IpRangeType } from './types.ts';

/** MAAS range purposes, as they appear in `reserved_ip_ranges` and `statistics.ranges`. */
export type RangePurpose =
  | 'unused'
  | 'gateway-ip'
  | 'reserved'
  | 'dynamic'
  | 'proposed-dynamic'
  | 'unmanaged'
  | 'assigned-ip'
  | 'dns-server'
  | 'excluded'
  | 'neighbour'
  | 'rfc-4291-2.6.1';

/** Purposes in alphabetical order (MAAS renders them sorted); a purpose's bit is 1 << index. */
const PURPOSES: readonly RangePurpose[] = [
  'assigned-ip',
  'dns-server',
  'dynamic',
  'excluded',
  'gateway-ip',
  'neighbour',
  'proposed-dynamic',
  'reserved',
  'rfc-4291-2.6.1',
  'unmanaged',
  'unused',
];

export const bit = (p: RangePurpose): number => 1 << PURPOSES.indexOf(p);

/** The purposes of a mask, alphabetically. */
const purposeCache = new Map<number, readonly RangePurpose[]>();
export function purposesOf(mask: number): RangePurpose[] {
  let names = purposeCache.get(mask);
  if (!names) {
    names = PURPOSES.filter((_, i) => (mask & (1 << i)) !== 0);
    purposeCache.set(mask, names);
  }
  return [...names];
}

/** The subnet fields IPAM reads (a {@link Subnet} satisfies it). */
export interface IpamSubnet {
  cidr: string;
  gateway_ip: string | null;
  dns_servers: readonly string[];
  managed: boolean;
}

/** The range fields IPAM reads (an {@link IpRange} satisfies it). */
export interface IpamRange {
  type: IpRangeType;
  start_ip: string;
  end_ip: string;
}

/** An address in use: bare text, or an assignment with its allocation type. Null ips are ignored. */
export type UsedAddress = string | { ip: string | null; alloc_type?: AllocType };

export interface UsageOptions {
  /** Gateways of static routes whose source is this subnet. */
  staticRouteGateways?: readonly string[];
  /** Further addresses to treat as unavailable (purpose "excluded"). */
  exclude?: readonly string[];
}

/** A subnet's usage, split by kind so each IPAM question can pick the parts it needs. */
export interface Usage {
  net: IpNetwork;
  managed: boolean;
  /** Assignable universe (see module doc). */
  universe: Span;
  /** IPv6 automatic reservations. */
  auto: TaggedSpan[];
  gateway: bigint | null;
  dnsServers: Span[];
  routeGateways: Span[];
  /** Runs of assigned addresses, sorted; observed (DISCOVERED) ones apart. */
  assigned: Span[];
  discovered: Span[];
  excluded: Span[];
  reserved: TaggedSpan[];
  dynamic: TaggedSpan[];
}

/** Fast IPv4 dotted-quad to number (the hot path for tens of thousands of addresses). */
function fastV4(text: string): number | null {
  let value = 0;
  let octet = -1;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      if (digits > 0 && octet === 0) return null; // leading zero: let the full parser explain
      octet = (octet < 0 ? 0 : octet * 10) + (c - 48);
      if (++digits > 3 || octet > 255) return null;
    } else if (c === 46) {
      if (digits === 0 || ++dots > 3) return null;
      value = value * 256 + octet;
      octet = -1;
      digits = 0;
    } else {
      return null;
    }
  }
  if (dots !== 3 || digits === 0) return null;
  return value * 256 + octet;
}

/** Parses an address; null when it is of the other family. Malformed text raises AddressError. */
export function valueIn(version: IpVersion, text: string): bigint | null {
  if (version === 4) {
    const v = fastV4(text);
    if (v !== null) return BigInt(v);
  }
  const a = parseIp(text);
  return a.version === version ? a.value : null;
}

/** Sorted, de-duplicated addresses of `net` among `texts`, folded into runs. */
function runsIn(net: IpNetwork, texts: readonly string[]): Span[] {
  const size = networkSize(net);
  const runs: Span[] = [];
  const push = (first: bigint, last: bigint) => runs.push({ first, last });
  if (net.version === 4) {
    const lo = Number(net.network);
    const hi = lo + Number(size) - 1;
    const values = new Float64Array(texts.length);
    let n = 0;
    for (const t of texts) {
      let v = fastV4(t);
      if (v === null) {
        const a = parseIp(t);
        if (a.version !== 4) continue;
        v = Number(a.value);
      }
      if (v >= lo && v <= hi) values[n++] = v;
    }
    const sorted = values.subarray(0, n).sort();
    for (let i = 0; i < n; ) {
      let j = i;
      while (j + 1 < n && sorted[j + 1] <= sorted[j] + 1) j++;
      push(BigInt(sorted[i]), BigInt(sorted[j]));
      i = j + 1;
    }
    return runs;
  }
  const offsets: bigint[] = [];
  for (const t of texts) {
    const v = valueIn(6, t);
    if (v !== null && v >= net.network && v - net.network < size) offsets.push(v - net.network);
  }
  const sorted = net.prefix >= 64 ? BigUint64Array.from(offsets).sort() : offsets.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] <= sorted[j] + 1n) j++;
    push(net.network + sorted[i], net.network + sorted[j]);
    i = j + 1;
  }
  return runs;
}

export function universeOf(net: IpNetwork): Span {
  const last = net.network + networkSize(net) - 1n;
  const skipNetwork = net.version === 4 ? net.prefix < 31 : net.prefix < 127;
  const skipBroadcast = net.version === 4 && net.prefix < 31;
  return { first: skipNetwork ? net.network + 1n : net.network, last: skipBroadcast ? last - 1n : last };
}

function autoV6(net: IpNetwork): TaggedSpan[] {
  if (net.version !== 6) return [];
  const out: TaggedSpan[] = [];
  if (net.prefix < 127) out.push({ first: net.network, last: net.network, mask: bit('rfc-4291-2.6.1') });
  if (net.prefix === 64) out.push({ first: net.network + 1n, last: net.network + 0xffffffffn, mask: bit('reserved') });
  return out;
}

function rangeSpan(net: IpNetwork, r: IpamRange): TaggedSpan {
  const first = valueIn(net.version, r.start_ip);
  const last = valueIn(net.version, r.end_ip);
  if (first === null || last === null) {
    throw new AddressError(`The ${r.type} range ${r.start_ip}-${r.end_ip} is not of the same address family as ${formatValue(net.version, net.network)}/${net.prefix}.`);
  }
  if (last < first) throw new AddressError(`The ${r.type} range ${r.start_ip}-${r.end_ip} ends before it starts.`);
  return { first, last, mask: bit(r.type) };
}

/** Gathers a subnet's usage. Addresses outside the subnet (or of the other family) are ignored. */
export function collectUsage(subnet: IpamSubnet, ranges: readonly IpamRange[], used: readonly UsedAddress[] = [], options: UsageOptions = {}): Usage {
  const net = parseCidr(subnet.cidr, { strict: false });
  const present = (xs: readonly (string | null | undefined)[]) => xs.filter((x): x is string => !!x);
  const assigned: string[] = [];
  const discovered: string[] = [];
  for (const u of used) {
    if (typeof u === 'string') assigned.push(u);
    else if (u.ip) (u.alloc_type === AllocType.DISCOVERED ? discovered : assigned).push(u.ip);
  }
  const gateway = runsIn(net, present([subnet.gateway_ip]))[0]?.first ?? null;
  return {
    net,
    managed: subnet.managed,
    universe: universeOf(net),
    auto: autoV6(net),
    gateway,
    dnsServers: runsIn(net, present(subnet.dns_servers)),
    routeGateways: runsIn(net, present(options.staticRouteGateways ?? [])),
    assigned: runsIn(net, assigned),
    discovered: runsIn(net, discovered),
    excluded: runsIn(net, present(options.exclude ?? [])),
    reserved: ranges.filter((r) => r.type === 'reserved').map((r) => rangeSpan(net, r)),
    dynamic: ranges.filter((r) => r.type === 'dynamic').map((r) => rangeSpan(net, r)),
  };
}

export interface InUseSelection {
  /** Include reserved ranges (default true). */
  reserved?: boolean;
  /** Include observed (DISCOVERED) addresses (default true). */
  discovered?: boolean;
  /** Include caller exclusions (default true). */
  excluded?: boolean;
}

const tagAll = (spans: readonly Span[], mask: number): TaggedSpan[] => spans.map((s) => ({ first: s.first, last: s.last, mask }));

/** The labelled in-use spans, optionally leaving some kinds out, sorted by start (not condensed). */
export function inUseSpans(u: Usage, sel: InUseSelection = {}): TaggedSpan[] {
  const few: TaggedSpan[] = [...u.auto];
  if (u.gateway !== null) few.push({ first: u.gateway, last: u.gateway, mask: bit('gateway-ip') });
  few.push(...tagAll(u.routeGateways, bit('gateway-ip')), ...tagAll(u.dnsServers, bit('dns-server')));
  if (sel.excluded !== false) few.push(...tagAll(u.excluded, bit('excluded')));
  if (sel.reserved !== false) few.push(...u.reserved);
  few.push(...u.dynamic);
  few.sort(byStart);
  let many = tagAll(u.assigned, bit('assigned-ip'));
  if (sel.discovered !== false && u.discovered.length > 0) many = mergeSorted(many, tagAll(u.discovered, bit('assigned-ip')));
  return mergeSorted(many, few);
}
