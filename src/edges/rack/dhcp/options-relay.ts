/**
 * Option 82, relay agent information (RFC 3046). The server never interprets it for policy; it
 * reads the circuit id (sub-option 1) and remote id (sub-option 2) for lease events and copies the
 * whole option back, unchanged, as the last option of the reply (RFC 3046 §2.2).
 */

export interface RelayAgentInfo {
  /** The option exactly as received, for echoing. */
  raw: Buffer;
  /** Sub-option 1, hex. */
  circuitId?: string;
  /** Sub-option 2, hex. */
  remoteId?: string;
}

/**
 * Reads sub-options 1 and 2. A value whose sub-options do not parse is still echoed (the server is
 * not the judge of the relay's encoding); it simply carries no ids.
 */
export function decodeRelayAgentInfo(value: Buffer): RelayAgentInfo {
  const info: RelayAgentInfo = { raw: Buffer.from(value) };
  const found: Record<number, string> = {};
  let at = 0;
  while (at < value.length) {
    if (at + 2 > value.length) return info;
    const code = value[at];
    const len = value[at + 1];
    if (at + 2 + len > value.length) return info;
    found[code] = value.subarray(at + 2, at + 2 + len).toString('hex');
    at += 2 + len;
  }
  if (found[1] !== undefined) info.circuitId = found[1];
  if (found[2] !== undefined) info.remoteId = found[2];
  return info;
}

/** Builds an option 82 value from sub-options (used by relays and tests). */
export function encodeRelayAgentInfo(subOptions: ReadonlyArray<readonly [number, Buffer]>): Buffer {
  return Buffer.concat(subOptions.map(([code, data]) => Buffer.concat([Buffer.from([code, data.length]), data])));
}
