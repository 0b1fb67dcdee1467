/**
 * Option negotiation for read requests (RFC 2347), for the options this server understands:
 *
 *   blksize     RFC 2348  8..65464 octets; answered with min(requested, cap) (the answer may not exceed the request)
 *   timeout     RFC 2349  1..255 seconds; answered with exactly the requested value, or the option fails
 *   tsize       RFC 2349  in an RRQ the client sends 0; the answer carries the file size in octets
 *   windowsize  RFC 7440  1..65535 blocks; answered with min(requested, cap)
 *
 * Names compare case-insensitively and the answer echoes the client's spelling. Options the server
 * does not know are left out of the OACK, which RFC 2347 says means "not acknowledged".
 *
 * What counts as a negotiation failure (answered with ERROR 8, RFC 2347): a known option named twice,
 * a value that is not a decimal number, or a value below its valid range (blksize < 8, windowsize 0,
 * timeout outside 1..255) — cases where no acceptable answer exists. A value above the range of
 * blksize or windowsize is not a failure: the server answers with its cap, which RFC 2348 and
 * RFC 7440 allow (a smaller value than requested).
 *
 * Caps: blksize defaults to 1468 on IPv4 = 1500 (Ethernet MTU) − 20 (IPv4 header) − 8 (UDP) − 4 (TFTP
 * DATA header), so a DATA packet never needs IP fragmentation, which several PXE ROMs mishandle;
 * 1448 on IPv6 (40-octet header). windowsize defaults to a cap of 16 blocks (≈23 KiB in flight at
 * 1468 octets), where RFC 7440's measurements show most of the gain.
 */

import type { OptionPair } from './packet.ts';

export const MIN_BLOCK_SIZE = 8;
export const MAX_BLOCK_SIZE = 65464;
export const DEFAULT_BLOCK_SIZE = 512;
export const DEFAULT_MAX_BLOCK_SIZE_V4 = 1468;
export const DEFAULT_MAX_BLOCK_SIZE_V6 = 1448;
export const MAX_WINDOW_SIZE = 65535;
export const DEFAULT_MAX_WINDOW_SIZE = 16;

export type OptionKey = 'blksize' | 'timeout' | 'tsize' | 'windowsize';
const KNOWN = new Set<string>(['blksize', 'timeout', 'tsize', 'windowsize']);

export interface OptionLimits {
  /** Largest block size granted (8..65464). */
  maxBlockSize: number;
  /** Largest window granted (1..65535). */
  maxWindowSize: number;
}

export interface Negotiated {
  blockSize: number;
  windowSize: number;
  /** The client's timeout option in seconds, when it sent one (fixes the retransmission timeout). */
  timeoutSec: number | null;
  /** Whether the client asked for tsize. */
  tsize: boolean;
  /** Acknowledged options in request order, with the client's spelling; tsize's value comes later. */
  accepted: Array<{ name: string; key: OptionKey; value: number }>;
}

export type NegotiationResult = { ok: true; negotiated: Negotiated } | { ok: false; message: string };

/** Checks configured caps; throws on a configuration outside the RFC ranges. */
export function checkLimits(limits: OptionLimits): OptionLimits {
  const { maxBlockSize, maxWindowSize } = limits;
  if (!Number.isInteger(maxBlockSize) || maxBlockSize < MIN_BLOCK_SIZE || maxBlockSize > MAX_BLOCK_SIZE) {
    throw new RangeError(`maxBlockSize must be an integer in ${MIN_BLOCK_SIZE}..${MAX_BLOCK_SIZE}, got ${maxBlockSize}`);
  }
  if (!Number.isInteger(maxWindowSize) || maxWindowSize < 1 || maxWindowSize > MAX_WINDOW_SIZE) {
    throw new RangeError(`maxWindowSize must be an integer in 1..${MAX_WINDOW_SIZE}, got ${maxWindowSize}`);
  }
  return limits;
}

function decimal(value: string): number | null {
  // At most 10 digits: every option value fits, and the number stays exact.
  return /^[0-9]{1,10}$/.test(value) ? Number(value) : null;
}

/** Negotiates the options of a read request. */
export function negotiate(options: readonly OptionPair[], limits: OptionLimits): NegotiationResult {
  const result: Negotiated = { blockSize: DEFAULT_BLOCK_SIZE, windowSize: 1, timeoutSec: null, tsize: false, accepted: [] };
  const seen = new Set<string>();
  for (const [name, raw] of options) {
    const key = name.toLowerCase();
    if (!KNOWN.has(key)) continue;
    if (seen.has(key)) return { ok: false, message: `option ${key} given twice` };
    seen.add(key);
    const value = decimal(raw);
    if (value === null) return { ok: false, message: `option ${key}: "${raw}" is not a decimal number` };
    switch (key) {
      case 'blksize':
        if (value < MIN_BLOCK_SIZE) return { ok: false, message: `blksize ${value} is below ${MIN_BLOCK_SIZE}` };
        result.blockSize = Math.min(value, limits.maxBlockSize);
        result.accepted.push({ name, key, value: result.blockSize });
        break;
      case 'windowsize':
        if (value < 1) return { ok: false, message: 'windowsize 0 is invalid' };
        result.windowSize = Math.min(value, limits.maxWindowSize);
        result.accepted.push({ name, key, value: result.windowSize });
        break;
      case 'timeout':
        if (value < 1 || value > 255) return { ok: false, message: `timeout ${value} is outside 1..255` };
        result.timeoutSec = value;
        result.accepted.push({ name, key, value });
        break;
      case 'tsize':
        result.tsize = true;
        result.accepted.push({ name, key, value: 0 });
        break;
    }
  }
  return { ok: true, negotiated: result };
}

/**
 * The OACK's option list, given the size to report for tsize. Empty → send no OACK.
 *
 * tsize is left unacknowledged (RFC 2347 lets a server ignore any option) when `size` is null — for
 * netascii, whose transmitted size differs from the file size — and when the file is empty: curl
 * (7.88) aborts a download whose OACK says "tsize 0" as an illegal operation.
 */
export function oackOptions(negotiated: Negotiated, size: number | null): OptionPair[] {
  const out: OptionPair[] = [];
  for (const { name, key, value } of negotiated.accepted) {
    if (key === 'tsize') {
      if (size !== null && size > 0) out.push([name, String(size)]);
    } else {
      out.push([name, String(value)]);
    }
  }
  return out;
}
