/**
 * IPv4 prefix arithmetic (RFC 4632 notation) and IPv6 unique local prefixes (RFC 4193) for the lab's
 * address plan. Pure functions; no I/O.
 */
import { LabError } from './errors.ts';

export interface Ipv4Net {
  /** Network address as an unsigned 32-bit integer. */
  base: number;
  prefix: number;
}

export function parseIpv4(text: string): number | null {
  const parts = text.split('.');
  if (parts.length !== 4) return null;
  let n = 0;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p)) return null;
    const v = Number(p);
    if (v > 255) return null;
    n = n * 256 + v;
  }
  return n;
}

export function formatIpv4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

function mask(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

/** Parses `a.b.c.d/len`; the address must be the network address (no host bits set). */
export function parseCidr(text: string, what: string): Ipv4Net {
  const m = /^([\d.]+)\/(\d{1,2})$/.exec(text.trim());
  const addr = m ? parseIpv4(m[1]) : null;
  const prefix = m ? Number(m[2]) : NaN;
  if (addr === null || !(prefix >= 0 && prefix <= 32)) {
    throw new LabError('bad_option', `${what}: "${text}" is not an IPv4 prefix like 10.213.0.0/24.`);
  }
  if ((addr & ~mask(prefix)) >>> 0 !== 0) {
    throw new LabError('bad_option', `${what}: "${text}" has host bits set; did you mean ${formatIpv4((addr & mask(prefix)) >>> 0)}/${prefix}?`);
  }
  return { base: addr, prefix };
}

export function formatCidr(net: Ipv4Net): string {
  return `${formatIpv4(net.base)}/${net.prefix}`;
}

/** Number of usable host addresses (network and broadcast excluded). */
export function hostCount(net: Ipv4Net): number {
  return net.prefix >= 31 ? 0 : 2 ** (32 - net.prefix) - 2;
}

/** The n-th host address (1 = first usable address). */
export function hostAddress(net: Ipv4Net, n: number): string {
  if (n < 1 || n > hostCount(net)) {
    throw new LabError('bad_option', `${formatCidr(net)} has no host number ${n} (it holds ${hostCount(net)} hosts).`);
  }
  return formatIpv4((net.base + n) >>> 0);
}

export function overlaps(a: Ipv4Net, b: Ipv4Net): boolean {
  const p = Math.min(a.prefix, b.prefix);
  return ((a.base & mask(p)) >>> 0) === ((b.base & mask(p)) >>> 0);
}

/**
 * A /64 unique local prefix (RFC 4193 §3.1: fd00::/8 + 40-bit global ID + 16-bit subnet ID). The
 * global ID comes from `hex40` (10 hex digits from a hash — §3.2.2 asks for pseudo-random bits).
 */
export function ulaPrefix(hex40: string, subnet: number): string {
  if (!/^[0-9a-f]{10}$/.test(hex40)) throw new Error(`ulaPrefix wants 10 hex digits, got ${hex40}`);
  const g = `fd${hex40}`;
  const groups = [g.slice(0, 4), g.slice(4, 8), g.slice(8, 12)].map((x) => x.replace(/^0+(?=.)/, ''));
  return `${groups.join(':')}:${subnet.toString(16)}::/64`;
}

/** Parses and checks a caller-supplied /64 ULA prefix (fc00::/7). */
export function checkUla(text: string): string {
  const m = /^([0-9a-f:]+)::\/64$/i.exec(text.trim());
  if (!m || !/^f[cd][0-9a-f]{2}:/i.test(m[1]) || m[1].split(':').length > 4) {
    throw new LabError('bad_option', `network.ula: "${text}" is not a /64 unique local prefix like fd12:3456:789a:1::/64.`);
  }
  return text.trim().toLowerCase();
}

/** The address `::host` inside a /64 prefix written as `xxxx:…::/64`. */
export function ulaHost(prefix: string, host: number): string {
  return `${prefix.replace(/::\/64$/, '')}::${host.toString(16)}`;
}
