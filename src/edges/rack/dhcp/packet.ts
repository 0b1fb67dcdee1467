/**
 * BOOTP/DHCP message codec (RFC 2131 §2, RFC 951) including the options area:
 * option TLVs (RFC 2132 §2), option overload into `file`/`sname` (RFC 2132 §9.3) and long
 * options split into several instances and concatenated again on receipt (RFC 3396).
 *
 * Decoding is strict about structure (length, cookie, TLV bounds) and throws `MalformedPacket`;
 * the server drops such packets silently. Semantics (which options mean what) live in the
 * option-family modules.
 */
import { MAGIC_COOKIE, Opt, Overload } from './codes.ts';
import { readIp, writeIp, ZERO } from './ipv4.ts';

export const HEADER_LENGTH = 236;
const OPTIONS_OFFSET = HEADER_LENGTH + 4;
const SNAME_OFFSET = 44;
const SNAME_LENGTH = 64;
const FILE_OFFSET = 108;
const FILE_LENGTH = 128;
/** RFC 1542 §3.1.1: BOOTP messages are at least 300 octets; some relays drop shorter ones. */
const MIN_ENCODED_LENGTH = 300;

/**
 * A datagram that is not a well-formed request. Thrown by the thousand under a flood of garbage,
 * so it carries no stack trace: capturing one cost more than decoding the packet (and where in the
 * decoder it was thrown is in the message anyway).
 */
export class MalformedPacket extends Error {
  constructor(message: string) {
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    super(message);
    Error.stackTraceLimit = limit;
  }
}

/** One decoded or to-be-encoded BOOTP/DHCP message. Addresses are dotted quads. */
export interface DhcpPacket {
  op: number;
  htype: number;
  hlen: number;
  hops: number;
  xid: number;
  secs: number;
  flags: number;
  ciaddr: string;
  yiaddr: string;
  siaddr: string;
  giaddr: string;
  /** Client hardware address field, 16 octets (only the first `hlen` are meaningful). */
  chaddr: Buffer;
  /** Server host name field (empty when overloaded with options). */
  sname: string;
  /** Boot file name field (empty when overloaded with options). */
  file: string;
  /**
   * Options by code. On decode, repeated instances are concatenated (RFC 3396); on encode, the
   * insertion order is the priority order and values longer than 255 octets are split.
   */
  options: Map<number, Buffer>;
}

/** The BROADCAST flag (RFC 2131 §2, figure 2). */
export const FLAG_BROADCAST = 0x8000;

export function emptyPacket(op: number): DhcpPacket {
  return {
    op, htype: 1, hlen: 6, hops: 0, xid: 0, secs: 0, flags: 0,
    ciaddr: ZERO, yiaddr: ZERO, siaddr: ZERO, giaddr: ZERO,
    chaddr: Buffer.alloc(16), sname: '', file: '', options: new Map(),
  };
}

/** Parses a TLV options area; pieces of the same code are appended to `into` in order. */
function parseOptionArea(buf: Buffer, start: number, end: number, into: Map<number, Buffer[]>): void {
  let i = start;
  while (i < end) {
    const code = buf[i];
    if (code === Opt.PAD) { i += 1; continue; }
    if (code === Opt.END) return;
    if (i + 1 >= end) throw new MalformedPacket(`option ${code} has no length octet`);
    const len = buf[i + 1];
    const dataStart = i + 2;
    if (dataStart + len > end) throw new MalformedPacket(`option ${code} overruns its area`);
    const pieces = into.get(code);
    const data = buf.subarray(dataStart, dataStart + len);
    if (pieces) pieces.push(data); else into.set(code, [data]);
    i = dataStart + len;
  }
}

function readCString(buf: Buffer, start: number, length: number): string {
  const field = buf.subarray(start, start + length);
  const nul = field.indexOf(0);
  return field.subarray(0, nul === -1 ? length : nul).toString('latin1');
}

export function decodePacket(buf: Buffer): DhcpPacket {
  if (buf.length < OPTIONS_OFFSET) throw new MalformedPacket(`too short (${buf.length} octets)`);
  if (buf.readUInt32BE(HEADER_LENGTH) !== MAGIC_COOKIE) throw new MalformedPacket('no DHCP magic cookie');
  const hlen = buf[2];
  if (hlen > 16) throw new MalformedPacket(`hlen ${hlen} exceeds the chaddr field`);
  const pieces = new Map<number, Buffer[]>();
  parseOptionArea(buf, OPTIONS_OFFSET, buf.length, pieces);
  // RFC 2132 §9.3 / RFC 3396 §5: options area first, then file, then sname.
  const overload = pieces.get(Opt.OVERLOAD)?.[0];
  let overloadValue = 0;
  if (overload !== undefined) {
    if (overload.length !== 1 || overload[0] < 1 || overload[0] > 3) throw new MalformedPacket('bad option overload value');
    overloadValue = overload[0];
    if (overloadValue & Overload.FILE) parseOptionArea(buf, FILE_OFFSET, FILE_OFFSET + FILE_LENGTH, pieces);
    if (overloadValue & Overload.SNAME) parseOptionArea(buf, SNAME_OFFSET, SNAME_OFFSET + SNAME_LENGTH, pieces);
  }
  const options = new Map<number, Buffer>();
  for (const [code, list] of pieces) options.set(code, list.length === 1 ? Buffer.from(list[0]) : Buffer.concat(list));
  return {
    op: buf[0],
    htype: buf[1],
    hlen,
    hops: buf[3],
    xid: buf.readUInt32BE(4),
    secs: buf.readUInt16BE(8),
    flags: buf.readUInt16BE(10),
    ciaddr: readIp(buf, 12),
    yiaddr: readIp(buf, 16),
    siaddr: readIp(buf, 20),
    giaddr: readIp(buf, 24),
    chaddr: Buffer.from(buf.subarray(28, 44)),
    sname: overloadValue & Overload.SNAME ? '' : readCString(buf, SNAME_OFFSET, SNAME_LENGTH),
    file: overloadValue & Overload.FILE ? '' : readCString(buf, FILE_OFFSET, FILE_LENGTH),
    options,
  };
}

/** Splits one option into wire instances of at most 255 data octets (RFC 3396 §6). */
function optionInstances(code: number, value: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let at = 0;
  do {
    const chunk = value.subarray(at, at + 255);
    out.push(Buffer.concat([Buffer.from([code, chunk.length]), chunk]));
    at += 255;
  } while (at < value.length);
  return out;
}

interface Area { capacity: number; parts: Buffer[]; used: number }

/**
 * Packs options, in priority order, into the given areas. An option that does not fit whole is
 * left out and packing continues with the next (smaller ones may still fit). Returns the codes
 * that were dropped.
 */
function pack(options: Map<number, Buffer>, areas: Area[]): number[] {
  const dropped: number[] = [];
  let current = 0;
  for (const [code, value] of options) {
    const instances = optionInstances(code, value);
    // Place every instance, moving forward through the areas; roll back if it does not fit.
    const placed: Array<[Area, number]> = [];
    let areaIndex = current;
    for (const inst of instances) {
      while (areaIndex < areas.length && areas[areaIndex].used + inst.length > areas[areaIndex].capacity) areaIndex += 1;
      if (areaIndex === areas.length) break;
      areas[areaIndex].parts.push(inst);
      areas[areaIndex].used += inst.length;
      placed.push([areas[areaIndex], inst.length]);
    }
    if (placed.length !== instances.length) {
      for (const [area, len] of placed) { area.parts.pop(); area.used -= len; }
      dropped.push(code);
    } else {
      current = areaIndex;
    }
  }
  return dropped;
}

export interface EncodeOptions {
  /** Largest DHCP message (UDP payload) the receiver accepts; default 548 (576 minus IP+UDP). */
  maxLength?: number;
}

export interface EncodeResult {
  bytes: Buffer;
  /** Option codes that did not fit in `maxLength` and were left out. */
  dropped: number[];
}

/**
 * Encodes a message. When the options do not fit, the `file` and `sname` fields are used for
 * options if they are empty (option 52); options that still do not fit are left out.
 */
export function encodePacket(pkt: DhcpPacket, opts: EncodeOptions = {}): EncodeResult {
  const maxLength = Math.max(opts.maxLength ?? 548, MIN_ENCODED_LENGTH);
  const optionList = new Map(pkt.options);
  optionList.delete(Opt.OVERLOAD);
  optionList.delete(Opt.END);
  optionList.delete(Opt.PAD);
  const mainCapacity = maxLength - OPTIONS_OFFSET - 1; // one octet for END
  let areas: Area[] = [{ capacity: mainCapacity, parts: [], used: 0 }];
  let dropped = pack(optionList, areas);
  let overload = 0;
  if (dropped.length > 0) {
    const canFile = pkt.file === '';
    const canSname = pkt.sname === '';
    if (canFile || canSname) {
      overload = (canFile ? Overload.FILE : 0) | (canSname ? Overload.SNAME : 0);
      areas = [{ capacity: mainCapacity - 3, parts: [], used: 0 }];
      if (canFile) areas.push({ capacity: FILE_LENGTH - 1, parts: [], used: 0 });
      if (canSname) areas.push({ capacity: SNAME_LENGTH - 1, parts: [], used: 0 });
      dropped = pack(optionList, areas);
      const spill = areas.slice(1).some((a) => a.used > 0);
      if (!spill) { overload = 0; areas = [{ capacity: mainCapacity, parts: [], used: 0 }]; dropped = pack(optionList, areas); }
    }
  }
  const main = areas[0];
  const mainParts = overload ? [Buffer.from([Opt.OVERLOAD, 1, overload]), ...main.parts] : main.parts;
  const mainBytes = Buffer.concat([...mainParts, Buffer.from([Opt.END])]);
  const length = Math.max(OPTIONS_OFFSET + mainBytes.length, MIN_ENCODED_LENGTH);
  const buf = Buffer.alloc(length);
  buf[0] = pkt.op;
  buf[1] = pkt.htype;
  buf[2] = pkt.hlen;
  buf[3] = pkt.hops;
  buf.writeUInt32BE(pkt.xid >>> 0, 4);
  buf.writeUInt16BE(pkt.secs, 8);
  buf.writeUInt16BE(pkt.flags, 10);
  writeIp(buf, 12, pkt.ciaddr);
  writeIp(buf, 16, pkt.yiaddr);
  writeIp(buf, 20, pkt.siaddr);
  writeIp(buf, 24, pkt.giaddr);
  pkt.chaddr.copy(buf, 28, 0, 16);
  // areas[1..] were built in the order file, sname.
  const fieldAreas: Array<[number, number, number, string]> = [
    [Overload.FILE, FILE_OFFSET, FILE_LENGTH, pkt.file],
    [Overload.SNAME, SNAME_OFFSET, SNAME_LENGTH, pkt.sname],
  ];
  let areaIndex = 1;
  for (const [flag, offset, size, text] of fieldAreas) {
    if (overload & flag) {
      const area = areas[areaIndex++];
      Buffer.concat([...area.parts, Buffer.from([Opt.END])]).copy(buf, offset);
    } else {
      const bytes = Buffer.from(text, 'latin1');
      if (bytes.length > size - 1) throw new RangeError(`${flag === Overload.FILE ? 'file' : 'sname'} field too long`);
      bytes.copy(buf, offset);
    }
  }
  buf.writeUInt32BE(MAGIC_COOKIE, HEADER_LENGTH);
  mainBytes.copy(buf, OPTIONS_OFFSET);
  return { bytes: buf, dropped };
}

const HEX_OCTETS = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, '0'));

/** "aa:bb:…" for the first hlen octets of chaddr (on every datagram: a plain loop, no arrays). */
export function hardwareAddress(pkt: DhcpPacket): string {
  const n = Math.min(pkt.hlen, pkt.chaddr.length);
  let out = '';
  for (let i = 0; i < n; i += 1) out += i === 0 ? HEX_OCTETS[pkt.chaddr[i]] : `:${HEX_OCTETS[pkt.chaddr[i]]}`;
  return out;
}
