/**
 * Building OFFER / ACK / NAK messages (RFC 2131 §4.3.1–4.3.5, table 3).
 *
 * Option order is priority order (the packet codec drops from the tail when a reply would exceed
 * what the client accepts, option 57): message type and server identifier, lease times, the
 * HTTPClient echo, then the options the client asked for in its parameter request list order
 * (RFC 2132 §9.8), then the always-sent network options, and the relay agent information last
 * (RFC 3046 §2.2). A NAK carries only 53, 54, 56 and 82.
 */
import { BOOTREPLY, MessageType, MIN_MAX_MESSAGE_SIZE, Opt } from './codes.ts';
import type { Subnet } from './config.ts';
import type { BootAnswer } from './boot.ts';
import { emptyPacket, FLAG_BROADCAST, type DhcpPacket } from './packet.ts';
import { encodeIp, encodeText, encodeU32, encodeU8 } from './options-basic.ts';
import { ALWAYS_SENT } from './options-network.ts';
import type { DhcpRequest } from './request.ts';
import { ZERO } from './ipv4.ts';

/** IPv4 + UDP headers, subtracted from option 57 (which counts the whole datagram). */
const IP_UDP_HEADERS = 28;
/** Replies are kept within an Ethernet frame whatever larger size the client claims. */
const MAX_REPLY = 1500 - IP_UDP_HEADERS;
const FILE_FIELD_MAX = 127;

export interface ReplySpec {
  type: typeof MessageType.OFFER | typeof MessageType.ACK | typeof MessageType.NAK;
  subnet: Subnet;
  /** Address given (OFFER/ACK for a lease); absent for NAK and INFORM. */
  yiaddr?: string;
  /** Lease time in seconds; absent for NAK and INFORM. */
  leaseTime?: number;
  boot?: BootAnswer;
  /** Option 12 (from a reservation). */
  hostname?: string;
  /** Option 56, for NAKs. */
  message?: string;
}

export interface BuiltReply {
  packet: DhcpPacket;
  /** Largest message the client accepts (option 57 less IP/UDP headers, at least 548). */
  maxLength: number;
}

export function buildReply(req: DhcpRequest, spec: ReplySpec): BuiltReply {
  const p = emptyPacket(BOOTREPLY);
  const rq = req.packet;
  p.htype = rq.htype;
  p.hlen = rq.hlen;
  p.xid = rq.xid;
  p.flags = rq.flags;
  p.giaddr = rq.giaddr;
  p.chaddr = Buffer.from(rq.chaddr);
  const opts = p.options;
  opts.set(Opt.MESSAGE_TYPE, encodeU8(spec.type));
  opts.set(Opt.SERVER_ID, encodeIp(spec.subnet.serverAddress));
  if (spec.type === MessageType.NAK) {
    // RFC 2131 §4.3.2: a relayed NAK has the broadcast bit set so the relay broadcasts it.
    if (rq.giaddr !== ZERO) p.flags |= FLAG_BROADCAST;
    if (spec.message) opts.set(Opt.MESSAGE, encodeText(spec.message));
  } else {
    // An ACK to INFORM or to a renewing client carries its ciaddr back (table 3).
    if (req.messageType === MessageType.INFORM || req.messageType === MessageType.REQUEST) p.ciaddr = rq.ciaddr;
    if (spec.yiaddr) p.yiaddr = spec.yiaddr;
    if (spec.leaseTime !== undefined) {
      // RFC 2131 §4.4.5 defaults: T1 = 0.5, T2 = 0.875 of the lease.
      opts.set(Opt.LEASE_TIME, encodeU32(spec.leaseTime));
      opts.set(Opt.RENEWAL_TIME, encodeU32(Math.floor(spec.leaseTime * 0.5)));
      opts.set(Opt.REBINDING_TIME, encodeU32(Math.floor(spec.leaseTime * 0.875)));
    }
    const available = new Map(spec.subnet.options);
    if (spec.hostname) available.set(Opt.HOSTNAME, encodeText(spec.hostname));
    const always = new Set(ALWAYS_SENT);
    if (spec.hostname) always.add(Opt.HOSTNAME);
    if (spec.boot) {
      p.siaddr = spec.subnet.nextServer;
      const fileFits = Buffer.byteLength(spec.boot.file, 'latin1') <= FILE_FIELD_MAX;
      if (fileFits) p.file = spec.boot.file;
      available.set(Opt.BOOTFILE_NAME, encodeText(spec.boot.file));
      available.set(Opt.TFTP_SERVER_NAME, encodeText(spec.subnet.nextServer));
      if (!fileFits) always.add(Opt.BOOTFILE_NAME);
      if (spec.boot.vendorClass) opts.set(Opt.VENDOR_CLASS, encodeText(spec.boot.vendorClass));
      if (spec.boot.ipxeOptions) opts.set(Opt.IPXE_ENCAP, spec.boot.ipxeOptions);
      if (spec.boot.pathPrefix) {
        available.set(Opt.PATH_PREFIX, encodeText(spec.boot.pathPrefix));
        always.add(Opt.PATH_PREFIX);
      }
    }
    for (const code of req.parameterRequestList) {
      const value = available.get(code);
      if (value !== undefined && !opts.has(code)) opts.set(code, value);
    }
    for (const [code, value] of available) {
      if (always.has(code) && !opts.has(code)) opts.set(code, value);
    }
  }
  if (req.relayInfo) opts.set(Opt.RELAY_AGENT_INFO, req.relayInfo.raw);
  const claimed = req.maxMessageSize ?? MIN_MAX_MESSAGE_SIZE;
  const maxLength = Math.min(Math.max(claimed, MIN_MAX_MESSAGE_SIZE) - IP_UDP_HEADERS, MAX_REPLY);
  return { packet: p, maxLength };
}
