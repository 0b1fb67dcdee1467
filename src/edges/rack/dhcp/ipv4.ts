/**
 * IPv4 address arithmetic for the DHCP server.
 *
 * Addresses travel through the library as dotted-quad strings (readable in configs, journals and
 * events); arithmetic (pools, CIDR membership, broadcast) is done on unsigned 32-bit numbers.
 */

export const ZERO = '0.0.0.0';
export const LIMITED_BROADCAST = '255.255.255.255';

/** Dotted quad → unsigned 32-bit number, or null when the text is not a dotted quad. */
export function parseIp(text: string): number | null {
  // A hand-rolled scanner: this runs several times per packet.
  let value = 0;
  let octet = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < text.length; i += 1) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      octet = octet * 10 + (c - 48);
      digits += 1;
      if (digits > 3 || octet > 255) return null;
    } else if (c === 46 && digits > 0 && dots < 3) {
      value = value * 256 + octet;
      octet = 0;
      digits = 0;
      dots += 1;
    } else {
      return null;
    }
  }
  if (dots !== 3 || digits === 0) return null;
  return value * 256 + octet;
}

/** Like parseIp, but throws on bad input (for already-validated configuration). */
export function ipToInt(text: string): number {
  const value = parseIp(text);
  if (value === null) throw new Error(`not an IPv4 address: ${text}`);
  return value;
}

export function intToIp(value: number): string {
  return `${(value >>> 24) & 255}.${(value >>> 16) & 255}.${(value >>> 8) & 255}.${value & 255}`;
}

/** Reads 4 bytes at offset as a dotted quad. */
export function readIp(buf: Uint8Array, offset: number): string {
  return `${buf[offset]}.${buf[offset + 1]}.${buf[offset + 2]}.${buf[offset + 3]}`;
}

/** Writes a dotted quad as 4 bytes at offset. */
export function writeIp(buf: Uint8Array, offset: number, ip: string): void {
  const value = ipToInt(ip);
  buf[offset] = (value >>> 24) & 255;
  buf[offset + 1] = (value >>> 16) & 255;
  buf[offset + 2] = (value >>> 8) & 255;
  buf[offset + 3] = value & 255;
}

export interface Cidr {
  /** Network address as a number. */
  readonly network: number;
  readonly prefix: number;
  /** Netmask as a number. */
  readonly mask: number;
  /** Subnet-directed broadcast address as a number. */
  readonly broadcast: number;
}

/** Parses "a.b.c.d/len"; the address part must be the network address (no host bits set). */
export function parseCidr(text: string): Cidr | null {
  const [addr, len, extra] = text.split('/');
  if (extra !== undefined || len === undefined || !/^\d{1,2}$/.test(len)) return null;
  const prefix = Number(len);
  const ip = parseIp(addr);
  if (ip === null || prefix > 32) return null;
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  if (((ip & ~mask) >>> 0) !== 0) return null;
  return { network: ip, prefix, mask, broadcast: (ip | ~mask) >>> 0 };
}

export function cidrContains(cidr: Cidr, ip: number): boolean {
  return ((ip & cidr.mask) >>> 0) === cidr.network;
}
