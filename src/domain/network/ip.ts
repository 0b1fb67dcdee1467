/**
 * IPv4 and IPv6 addresses and networks as plain values with bigint arithmetic.
 *
 * - IPv4 text form: dotted quad (RFC 791 §3.2 addresses; decimal octets, no leading zeros so
 *   that "010" cannot be mistaken for octal).
 * - IPv6 text form: RFC 4291 §2.2 on input (including "::" and an embedded dotted quad);
 *   RFC 5952 canonical form on output (lower case, no leading zeros, the longest run of two or
 *   more zero groups collapsed to "::", the first such run on a tie, and the IPv4-mapped block
 *   ::ffff:0:0/96 written with a dotted quad per RFC 5952 §5).
 * - Networks: "<address>/<prefix>" (RFC 4632 §3.1 for IPv4, RFC 4291 §2.3 for IPv6).
 *
 * Malformed input raises an {@link AddressError} whose message says what is wrong.
 */
import { PlinthError } from '../errors.ts';

export type IpVersion = 4 | 6;

/** One address: its family and its numeric value (0 .. 2^32-1 or 0 .. 2^128-1). */
export interface IpAddress {
  readonly version: IpVersion;
  readonly value: bigint;
}

/** A network: the (host-bits-clear) network value and the prefix length. */
export interface IpNetwork {
  readonly version: IpVersion;
  readonly network: bigint;
  readonly prefix: number;
}

export class AddressError extends PlinthError {
  constructor(message: string) {
    super('bad_request', message);
  }
}

export const bitsOf = (version: IpVersion): number => (version === 4 ? 32 : 128);
const maxOf = (version: IpVersion): bigint => (1n << BigInt(bitsOf(version))) - 1n;

const show = (text: unknown) => JSON.stringify(String(text));

function parseV4(text: string, original: string): bigint {
  const parts = text.split('.');
  if (parts.length !== 4) {
    throw new AddressError(`${show(original)} is not a valid IPv4 address: expected 4 dot-separated numbers, found ${parts.length}.`);
  }
  let value = 0n;
  for (const part of parts) {
    if (!/^[0-9]{1,3}$/.test(part)) {
      throw new AddressError(`${show(original)} is not a valid IPv4 address: ${show(part)} is not a number from 0 to 255.`);
    }
    if (part.length > 1 && part.startsWith('0')) {
      throw new AddressError(`${show(original)} is not a valid IPv4 address: ${show(part)} has a leading zero.`);
    }
    const n = Number(part);
    if (n > 255) throw new AddressError(`${show(original)} is not a valid IPv4 address: ${part} is greater than 255.`);
    value = (value << 8n) | BigInt(n);
  }
  return value;
}

function parseGroups(text: string, original: string): number[] {
  if (text === '') return [];
  return text.split(':').map((g) => {
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) {
      const why = g === '' ? 'an empty group (only one "::" is allowed)' : `${show(g)} is not a group of 1 to 4 hex digits`;
      throw new AddressError(`${show(original)} is not a valid IPv6 address: ${why}.`);
    }
    return parseInt(g, 16);
  });
}

function parseV6(text: string, original: string): bigint {
  if (text.includes('%')) {
    throw new AddressError(`${show(original)} is not a valid IPv6 address here: a zone index ("%…") is not allowed.`);
  }
  let body = text;
  let tail: number[] = [];
  const lastColon = body.lastIndexOf(':');
  if (body.slice(lastColon + 1).includes('.')) {
    const v4 = parseV4(body.slice(lastColon + 1), original);
    tail = [Number(v4 >> 16n), Number(v4 & 0xffffn)];
    body = body.slice(0, lastColon + 1);
    // "…:" + dotted quad: drop the separator unless it is the second colon of "::".
    if (!body.endsWith('::')) body = body.slice(0, -1);
  }
  const halves = body.split('::');
  if (halves.length > 2) throw new AddressError(`${show(original)} is not a valid IPv6 address: "::" may appear only once.`);
  let groups: number[];
  if (halves.length === 2) {
    const head = parseGroups(halves[0], original);
    const rest = [...parseGroups(halves[1], original), ...tail];
    const missing = 8 - head.length - rest.length;
    if (missing < 1) throw new AddressError(`${show(original)} is not a valid IPv6 address: too many groups around "::".`);
    groups = [...head, ...new Array<number>(missing).fill(0), ...rest];
  } else {
    groups = [...parseGroups(body, original), ...tail];
    if (groups.length !== 8) {
      throw new AddressError(`${show(original)} is not a valid IPv6 address: expected 8 groups, found ${groups.length}.`);
    }
  }
  return groups.reduce((acc, g) => (acc << 16n) | BigInt(g), 0n);
}

/** Hex groups of one side of "::" into `out`; false on anything unusual (the slow path explains). */
function fastGroups(text: string, out: string[]): boolean {
  if (text === '') return true;
  let start = 0;
  for (let i = 0; i <= text.length; i++) {
    const c = i < text.length ? text.charCodeAt(i) : 58;
    if (c === 58) {
      const len = i - start;
      if (len < 1 || len > 4) return false;
      out.push('0000'.slice(len) + text.slice(start, i));
      start = i + 1;
    } else if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70))) {
      return false;
    }
  }
  return true;
}

/** IPv6 without embedded IPv4 or zone: value via one native hex parse; null to use the full parser. */
function fastV6(text: string): bigint | null {
  const dc = text.indexOf('::');
  if (dc >= 0 && text.indexOf('::', dc + 1) >= 0) return null;
  const head: string[] = [];
  const tail: string[] = [];
  if (dc < 0) {
    if (!fastGroups(text, head) || head.length !== 8) return null;
  } else if (!fastGroups(text.slice(0, dc), head) || !fastGroups(text.slice(dc + 2), tail) || head.length + tail.length > 7) {
    return null;
  }
  return BigInt(`0x${head.join('')}${'0000'.repeat(8 - head.length - tail.length)}${tail.join('')}`);
}

/** Parses an IPv4 or IPv6 address. Surrounding whitespace is ignored. */
export function parseIp(input: string): IpAddress {
  if (typeof input !== 'string') throw new AddressError(`${show(input)} is not a valid IP address.`);
  const text = input.trim();
  if (text === '') throw new AddressError('An IP address is required; got an empty string.');
  if (text.includes(':')) return { version: 6, value: fastV6(text) ?? parseV6(text, input) };
  if (text.includes('.')) return { version: 4, value: parseV4(text, input) };
  throw new AddressError(`${show(input)} is not a valid IP address: expected a dotted IPv4 or a colon-separated IPv6 address.`);
}

export function tryParseIp(input: string): IpAddress | null {
  try {
    return parseIp(input);
  } catch {
    return null;
  }
}

export function ipFromValue(version: IpVersion, value: bigint): IpAddress {
  if (value < 0n || value > maxOf(version)) {
    throw new AddressError(`The value ${value} is outside the IPv${version} address space.`);
  }
  return { version, value };
}

/** Dotted quad of an IPv4 value given as a number (the hot path of bulk rendering). */
export const formatV4Number = (n: number): string => `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;

const formatV4 = (value: bigint): string => formatV4Number(Number(value));

function formatV6(value: bigint): string {
  const groups: number[] = [];
  for (let shift = 112n; shift >= 0n; shift -= 16n) groups.push(Number((value >> shift) & 0xffffn));
  // RFC 5952 §5: IPv4-mapped addresses keep the dotted quad.
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    return `::ffff:${formatV4(value & 0xffffffffn)}`;
  }
  let bestStart = -1;
  let bestLen = 1; // RFC 5952 §4.2.2: a single zero group is not collapsed.
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}

/** Canonical text: dotted quad for IPv4, RFC 5952 for IPv6. */
export function formatIp(addr: IpAddress): string {
  return addr.version === 4 ? formatV4(addr.value) : formatV6(addr.value);
}

export const formatValue = (version: IpVersion, value: bigint): string => formatIp({ version, value });

/** Parses and re-formats an address into its canonical text. */
export const normalizeIp = (input: string): string => formatIp(parseIp(input));

export interface ParseCidrOptions {
  /** Refuse host bits set below the prefix (default). When false they are cleared. */
  strict?: boolean;
}

/** Parses "<address>/<prefix>". A bare address is refused: a network needs an explicit prefix. */
export function parseCidr(input: string, options: ParseCidrOptions = {}): IpNetwork {
  const strict = options.strict ?? true;
  const text = typeof input === 'string' ? input.trim() : '';
  const slash = text.indexOf('/');
  if (slash < 0) throw new AddressError(`${show(input)} is not a valid network: expected <address>/<prefix length>.`);
  const addr = parseIp(text.slice(0, slash));
  const prefixText = text.slice(slash + 1);
  const bits = bitsOf(addr.version);
  if (!/^[0-9]{1,3}$/.test(prefixText) || Number(prefixText) > bits) {
    throw new AddressError(`${show(input)} is not a valid network: the prefix length must be a number from 0 to ${bits}.`);
  }
  const prefix = Number(prefixText);
  const mask = prefixMask(addr.version, prefix);
  const network = addr.value & mask;
  if (strict && network !== addr.value) {
    const fixed = formatCidr({ version: addr.version, network, prefix });
    throw new AddressError(`${show(input)} is not a valid network: it has host bits set (did you mean ${fixed}?).`);
  }
  return { version: addr.version, network, prefix };
}

export function tryParseCidr(input: string, options?: ParseCidrOptions): IpNetwork | null {
  try {
    return parseCidr(input, options);
  } catch {
    return null;
  }
}

export const formatCidr = (net: IpNetwork): string => `${formatValue(net.version, net.network)}/${net.prefix}`;

/** The mask with `prefix` leading one bits. */
export function prefixMask(version: IpVersion, prefix: number): bigint {
  const bits = BigInt(bitsOf(version));
  return (maxOf(version) >> (bits - BigInt(prefix))) << (bits - BigInt(prefix));
}

/** Number of addresses in the network (2^(bits-prefix)). */
export const networkSize = (net: IpNetwork): bigint => 1n << BigInt(bitsOf(net.version) - net.prefix);

/** The network address (all host bits zero). */
export const networkAddress = (net: IpNetwork): IpAddress => ({ version: net.version, value: net.network });

/** The last address (all host bits one): the IPv4 broadcast address. */
export const lastAddress = (net: IpNetwork): IpAddress => ({ version: net.version, value: net.network + networkSize(net) - 1n });

/** IPv4 broadcast address, or null for IPv6 (which has none) and for /31 and /32 (RFC 3021). */
export function broadcastAddress(net: IpNetwork): IpAddress | null {
  if (net.version !== 4 || net.prefix >= 31) return null;
  return lastAddress(net);
}

export const netmask = (net: IpNetwork): IpAddress => ({ version: net.version, value: prefixMask(net.version, net.prefix) });

export function contains(net: IpNetwork, addr: IpAddress): boolean {
  return addr.version === net.version && addr.value >= net.network && addr.value <= net.network + networkSize(net) - 1n;
}

/** True when the two networks share at least one address (one contains the other). */
export function networksOverlap(a: IpNetwork, b: IpNetwork): boolean {
  if (a.version !== b.version) return false;
  const aLast = a.network + networkSize(a) - 1n;
  const bLast = b.network + networkSize(b) - 1n;
  return a.network <= bLast && b.network <= aLast;
}

/** Orders IPv4 before IPv6, then by value. */
export function compareIp(a: IpAddress, b: IpAddress): number {
  if (a.version !== b.version) return a.version < b.version ? -1 : 1;
  return a.value < b.value ? -1 : a.value > b.value ? 1 : 0;
}

export const sameIp = (a: IpAddress, b: IpAddress): boolean => a.version === b.version && a.value === b.value;

/** `addr + delta`, refusing to leave the address space. */
export function addToIp(addr: IpAddress, delta: bigint): IpAddress {
  return ipFromValue(addr.version, addr.value + delta);
}

/** Number of addresses from `start` to `end` inclusive. */
export function rangeSize(start: IpAddress, end: IpAddress): bigint {
  if (start.version !== end.version) throw new AddressError('A range needs two addresses of the same family.');
  if (end.value < start.value) throw new AddressError(`${formatIp(end)} is lower than ${formatIp(start)}.`);
  return end.value - start.value + 1n;
}

/** fe80::/10 (RFC 4291 §2.5.6). */
export const isLinkLocal = (addr: IpAddress): boolean =>
  addr.version === 6 ? addr.value >> 118n === 0x3fan : addr.value >> 16n === 0xa9fen; // 169.254/16 for IPv4

/** "10.0.0.5/24" → the address and its network; used for interface addresses. */
export function parseInterfaceAddress(input: string): { address: IpAddress; network: IpNetwork } {
  const text = input.trim();
  const slash = text.indexOf('/');
  if (slash < 0) throw new AddressError(`${show(input)} is not a valid interface address: expected <address>/<prefix length>.`);
  const address = parseIp(text.slice(0, slash));
  const network = parseCidr(text, { strict: false });
  return { address, network };
}
