/**
 * Value codecs shared by the option families (RFC 2132 §2 data formats): addresses and address
 * lists, unsigned integers, NVT ASCII text. Decoders throw `MalformedOption` on a length that the
 * format does not allow; a request with a malformed option is dropped as a whole.
 */
import { readIp, writeIp } from './ipv4.ts';

/** A malformed option value; like MalformedPacket, without a stack trace (see there why). */
export class MalformedOption extends Error {
  readonly code: number;
  constructor(code: number, reason: string) {
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    super(`option ${code}: ${reason}`);
    Error.stackTraceLimit = limit;
    this.code = code;
  }
}

export function encodeIp(ip: string): Buffer {
  const buf = Buffer.alloc(4);
  writeIp(buf, 0, ip);
  return buf;
}

export function encodeIpList(ips: readonly string[]): Buffer {
  const buf = Buffer.alloc(ips.length * 4);
  ips.forEach((ip, i) => writeIp(buf, i * 4, ip));
  return buf;
}

export function decodeIp(code: number, value: Buffer): string {
  if (value.length !== 4) throw new MalformedOption(code, `expected 4 octets, got ${value.length}`);
  return readIp(value, 0);
}

export function decodeIpList(code: number, value: Buffer): string[] {
  if (value.length === 0 || value.length % 4 !== 0) throw new MalformedOption(code, `length ${value.length} is not a non-zero multiple of 4`);
  const out: string[] = [];
  for (let i = 0; i < value.length; i += 4) out.push(readIp(value, i));
  return out;
}

export function encodeU8(n: number): Buffer {
  return Buffer.from([n & 255]);
}

export function encodeU16(n: number): Buffer {
  const buf = Buffer.alloc(2);
  buf.writeUInt16BE(n);
  return buf;
}

export function encodeU32(n: number): Buffer {
  const buf = Buffer.alloc(4);
  buf.writeUInt32BE(n >>> 0);
  return buf;
}

export function decodeU8(code: number, value: Buffer): number {
  if (value.length !== 1) throw new MalformedOption(code, `expected 1 octet, got ${value.length}`);
  return value[0];
}

export function decodeU16(code: number, value: Buffer): number {
  if (value.length !== 2) throw new MalformedOption(code, `expected 2 octets, got ${value.length}`);
  return value.readUInt16BE(0);
}

export function decodeU32(code: number, value: Buffer): number {
  if (value.length !== 4) throw new MalformedOption(code, `expected 4 octets, got ${value.length}`);
  return value.readUInt32BE(0);
}

/** NVT ASCII text; RFC 2132 says no trailing NUL, but some clients send one: it is stripped. */
export function decodeText(code: number, value: Buffer): string {
  if (value.length === 0) throw new MalformedOption(code, 'empty text');
  let end = value.length;
  while (end > 0 && value[end - 1] === 0) end -= 1;
  return value.subarray(0, end).toString('latin1');
}

export function encodeText(text: string): Buffer {
  return Buffer.from(text, 'latin1');
}
