/**
 * TFTP packet codec: the five packets of RFC 1350 §5 plus the option acknowledgment (OACK) and the
 * request option list of RFC 2347.
 *
 *   RRQ/WRQ  | 01/02 | filename | 0 | mode | 0 | opt1 | 0 | value1 | 0 | ... |   (RFC 1350 fig. 5-1, RFC 2347)
 *   DATA     | 03 | block # | data (0..blksize octets) |                        (RFC 1350 fig. 5-2)
 *   ACK      | 04 | block # |                                                  (RFC 1350 fig. 5-3)
 *   ERROR    | 05 | error code | message | 0 |                                  (RFC 1350 fig. 5-4)
 *   OACK     | 06 | opt1 | 0 | value1 | 0 | ... |                              (RFC 2347)
 *
 * All integers are 16-bit big-endian. Decoding never throws: it returns either a packet or a
 * description of what was wrong and which ERROR code an answer would carry (the server decides
 * whether to answer at all). File names are decoded as UTF-8, mode and option names and values
 * as ASCII (RFC 1350 calls them netascii strings).
 */

export const Opcode = { RRQ: 1, WRQ: 2, DATA: 3, ACK: 4, ERROR: 5, OACK: 6 } as const;
export type Opcode = (typeof Opcode)[keyof typeof Opcode];

/** Error codes: RFC 1350 appendix "Error Codes", plus 8 from RFC 2347. */
export const ErrorCode = {
  NOT_DEFINED: 0,
  FILE_NOT_FOUND: 1,
  ACCESS_VIOLATION: 2,
  DISK_FULL: 3,
  ILLEGAL_OPERATION: 4,
  UNKNOWN_TID: 5,
  FILE_EXISTS: 6,
  NO_SUCH_USER: 7,
  OPTION_NEGOTIATION: 8,
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** A request option as sent: name spelling is kept (RFC 2347 names are case-insensitive). */
export type OptionPair = readonly [name: string, value: string];

export interface RequestPacket {
  op: typeof Opcode.RRQ | typeof Opcode.WRQ;
  filename: string;
  /** As sent; RFC 1350 modes are case-insensitive ("netascii", "octet", "mail"). */
  mode: string;
  options: OptionPair[];
}
export interface DataPacket { op: typeof Opcode.DATA; block: number; data: Buffer }
export interface AckPacket { op: typeof Opcode.ACK; block: number }
export interface ErrorPacket { op: typeof Opcode.ERROR; code: number; message: string }
export interface OackPacket { op: typeof Opcode.OACK; options: OptionPair[] }
export type Packet = RequestPacket | DataPacket | AckPacket | ErrorPacket | OackPacket;

export interface DecodeFailure {
  /** The opcode field when the datagram had one (may be outside 1..6), else null. */
  opcode: number | null;
  /** The ERROR code an answer would carry: 4 for a malformed packet, 8 for a broken option list. */
  error: ErrorCode;
  reason: string;
}
export type Decoded = { ok: true; packet: Packet } | ({ ok: false } & DecodeFailure);

/** Largest block number; block numbers roll over to 0 after it (see transfer.ts). */
export const MAX_BLOCK = 0xffff;

function fail(opcode: number | null, reason: string, error: ErrorCode = ErrorCode.ILLEGAL_OPERATION): Decoded {
  return { ok: false, opcode, error, reason };
}

/** Splits a run of NUL-terminated strings. Returns null when the last string lacks its NUL. */
function splitStrings(body: Buffer): Buffer[] | null {
  if (body.length === 0) return [];
  if (body[body.length - 1] !== 0) return null;
  const parts: Buffer[] = [];
  let start = 0;
  for (let i = 0; i < body.length; i++) {
    if (body[i] === 0) { parts.push(body.subarray(start, i)); start = i + 1; }
  }
  return parts;
}

function decodeOptions(parts: Buffer[], opcode: number): { options: OptionPair[] } | Decoded {
  // Some clients pad requests with extra NULs; empty trailing strings carry nothing.
  let end = parts.length;
  while (end > 0 && parts[end - 1].length === 0) end--;
  if (end % 2 !== 0) return fail(opcode, `option "${parts[end - 1].toString('latin1')}" has no value`, ErrorCode.OPTION_NEGOTIATION);
  const options: OptionPair[] = [];
  for (let i = 0; i < end; i += 2) {
    if (parts[i].length === 0) return fail(opcode, 'empty option name', ErrorCode.OPTION_NEGOTIATION);
    options.push([parts[i].toString('latin1'), parts[i + 1].toString('latin1')]);
  }
  return { options };
}

/** Decodes one datagram. */
export function decodePacket(buf: Buffer): Decoded {
  if (buf.length < 2) return fail(null, `datagram of ${buf.length} octet(s) has no opcode`);
  const op = buf.readUInt16BE(0);
  switch (op) {
    case Opcode.RRQ:
    case Opcode.WRQ: {
      const parts = splitStrings(buf.subarray(2));
      if (parts === null) return fail(op, 'request strings are not NUL-terminated');
      if (parts.length < 2) return fail(op, 'request lacks a filename or mode');
      if (parts[0].length === 0) return fail(op, 'empty filename');
      if (parts[1].length === 0) return fail(op, 'empty mode');
      const opts = decodeOptions(parts.slice(2), op);
      if (!('options' in opts)) return opts;
      return { ok: true, packet: { op, filename: parts[0].toString('utf8'), mode: parts[1].toString('latin1'), options: opts.options } };
    }
    case Opcode.DATA:
      if (buf.length < 4) return fail(op, 'DATA shorter than its header');
      return { ok: true, packet: { op, block: buf.readUInt16BE(2), data: buf.subarray(4) } };
    case Opcode.ACK:
      if (buf.length < 4) return fail(op, 'ACK shorter than its header');
      return { ok: true, packet: { op, block: buf.readUInt16BE(2) } };
    case Opcode.ERROR: {
      if (buf.length < 4) return fail(op, 'ERROR shorter than its header');
      // Lenient about a missing final NUL: an error ends the transfer either way.
      const text = buf.subarray(4);
      const nul = text.indexOf(0);
      return { ok: true, packet: { op, code: buf.readUInt16BE(2), message: (nul < 0 ? text : text.subarray(0, nul)).toString('latin1') } };
    }
    case Opcode.OACK: {
      const parts = splitStrings(buf.subarray(2));
      if (parts === null) return fail(op, 'OACK strings are not NUL-terminated');
      const opts = decodeOptions(parts, op);
      if (!('options' in opts)) return opts;
      return { ok: true, packet: { op, options: opts.options } };
    }
    default:
      return fail(op, `unknown opcode ${op}`);
  }
}

function strings(values: readonly string[], encodings: readonly BufferEncoding[]): Buffer[] {
  const out: Buffer[] = [];
  values.forEach((v, i) => { out.push(Buffer.from(v, encodings[i] ?? 'latin1'), Buffer.alloc(1)); });
  return out;
}

function opcodeHeader(op: Opcode, word?: number): Buffer {
  const head = Buffer.allocUnsafe(word === undefined ? 2 : 4);
  head.writeUInt16BE(op, 0);
  if (word !== undefined) head.writeUInt16BE(word, 2);
  return head;
}

export function encodeRequest(op: RequestPacket['op'], filename: string, mode: string, options: readonly OptionPair[] = []): Buffer {
  const flat = [filename, mode, ...options.flat()];
  return Buffer.concat([opcodeHeader(op), ...strings(flat, ['utf8'])]);
}

/** DATA packet; `block` is the 16-bit wire number. */
export function encodeData(block: number, data: Uint8Array): Buffer {
  const packet = Buffer.allocUnsafe(4 + data.length);
  packet.writeUInt16BE(Opcode.DATA, 0);
  packet.writeUInt16BE(block & MAX_BLOCK, 2);
  packet.set(data, 4);
  return packet;
}

export function encodeAck(block: number): Buffer {
  return opcodeHeader(Opcode.ACK, block & MAX_BLOCK);
}

export function encodeError(code: number, message: string): Buffer {
  return Buffer.concat([opcodeHeader(Opcode.ERROR, code), ...strings([message], ['latin1'])]);
}

export function encodeOack(options: readonly OptionPair[]): Buffer {
  return Buffer.concat([opcodeHeader(Opcode.OACK), ...strings(options.flat(), [])]);
}

/** The default message for each error code (RFC 1350 appendix wording, RFC 2347 for 8). */
export const ERROR_TEXT: Readonly<Record<number, string>> = {
  0: 'Not defined',
  1: 'File not found',
  2: 'Access violation',
  3: 'Disk full or allocation exceeded',
  4: 'Illegal TFTP operation',
  5: 'Unknown transfer ID',
  6: 'File already exists',
  7: 'No such user',
  8: 'Option negotiation failed',
};
