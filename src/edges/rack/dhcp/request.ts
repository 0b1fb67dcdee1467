/**
 * A client request, read once: the message type (53), client identity (61 client identifier,
 * chaddr, 12 host name), what it asks for (50 requested address, 51 lease time, 54 server
 * identifier, 55 parameter request list, 57 maximum message size) and, through the family modules,
 * its boot identity (60, 77, 93, 94, 97) and relay information (82).
 *
 * `readRequest` throws for anything the server must ignore silently: replies (op 2), BOOTP
 * (no option 53), server-only message types, malformed options.
 */
import { BOOTREQUEST, MessageType, Opt } from './codes.ts';
import type { DhcpPacket } from './packet.ts';
import { hardwareAddress, MalformedPacket } from './packet.ts';
import { decodeIp, decodeText, decodeU16, decodeU32, decodeU8, MalformedOption } from './options-basic.ts';
import { bootClientKind, type BootClientKind, decodeArchList, decodeClientUuid, decodeNetworkInterfaceId, decodeUserClasses, type NetworkInterfaceId } from './options-pxe.ts';
import { decodeRelayAgentInfo, type RelayAgentInfo } from './options-relay.ts';
import { ZERO } from './ipv4.ts';

const CLIENT_TYPES = new Set<number>([MessageType.DISCOVER, MessageType.REQUEST, MessageType.DECLINE, MessageType.RELEASE, MessageType.INFORM]);

export interface DhcpRequest {
  packet: DhcpPacket;
  messageType: number;
  /** Hardware address, "aa:bb:…" (lower case). */
  mac: string;
  /** Option 61, hex, when sent. */
  clientId?: string;
  /**
   * The key a lease is bound to (RFC 2131 §4.2: client identifier if given, else chaddr):
   * "id:<hex>" or "hw:<htype>:<mac>".
   */
  clientKey: string;
  hostname?: string;
  requestedIp?: string;
  requestedLeaseTime?: number;
  serverId?: string;
  /** Option 55 in the client's order (duplicates removed). */
  parameterRequestList: number[];
  /** Option 57 (octets), when sent. */
  maxMessageSize?: number;
  vendorClass?: string;
  userClasses: string[];
  /** Option 93 values, most preferred first (empty when absent). */
  architectures: number[];
  networkInterface?: NetworkInterfaceId;
  clientUuid?: string;
  bootKind: BootClientKind;
  relayInfo?: RelayAgentInfo;
  /** giaddr when not 0.0.0.0. */
  relay?: string;
  /** ciaddr when not 0.0.0.0. */
  ciaddr?: string;
}

function opt<T>(pkt: DhcpPacket, code: number, decode: (code: number, v: Buffer) => T): T | undefined {
  const value = pkt.options.get(code);
  return value === undefined ? undefined : decode(code, value);
}

export function readRequest(pkt: DhcpPacket): DhcpRequest {
  if (pkt.op !== BOOTREQUEST) throw new MalformedPacket(`op ${pkt.op} is not BOOTREQUEST`);
  if (pkt.hlen === 0 && !pkt.options.has(Opt.CLIENT_ID)) throw new MalformedPacket('no hardware address and no client identifier');
  const messageType = opt(pkt, Opt.MESSAGE_TYPE, decodeU8);
  if (messageType === undefined) throw new MalformedPacket('BOOTP request (no option 53)');
  if (!CLIENT_TYPES.has(messageType)) throw new MalformedPacket(`message type ${messageType} is not sent by clients`);
  const mac = hardwareAddress(pkt);
  const clientIdRaw = pkt.options.get(Opt.CLIENT_ID);
  if (clientIdRaw !== undefined && clientIdRaw.length < 2) throw new MalformedOption(Opt.CLIENT_ID, 'client identifier shorter than 2 octets');
  const clientId = clientIdRaw?.toString('hex');
  const prl = pkt.options.get(Opt.PARAM_REQUEST_LIST);
  const vendorClass = opt(pkt, Opt.VENDOR_CLASS, decodeText);
  const userClassRaw = pkt.options.get(Opt.USER_CLASS);
  const userClasses = userClassRaw === undefined ? [] : decodeUserClasses(userClassRaw);
  const maxMessageSize = opt(pkt, Opt.MAX_MESSAGE_SIZE, decodeU16);
  const relayRaw = pkt.options.get(Opt.RELAY_AGENT_INFO);
  const uuidRaw = pkt.options.get(Opt.CLIENT_UUID);
  const archRaw = pkt.options.get(Opt.CLIENT_ARCH);
  return {
    packet: pkt,
    messageType,
    mac,
    clientId,
    clientKey: clientId !== undefined ? `id:${clientId}` : `hw:${pkt.htype}:${mac}`,
    hostname: opt(pkt, Opt.HOSTNAME, decodeText),
    requestedIp: opt(pkt, Opt.REQUESTED_IP, decodeIp),
    requestedLeaseTime: opt(pkt, Opt.LEASE_TIME, decodeU32),
    serverId: opt(pkt, Opt.SERVER_ID, decodeIp),
    parameterRequestList: prl === undefined ? [] : [...new Set(prl)],
    maxMessageSize,
    vendorClass,
    userClasses,
    architectures: archRaw === undefined ? [] : decodeArchList(archRaw),
    networkInterface: opt(pkt, Opt.CLIENT_NDI, (_c, v) => decodeNetworkInterfaceId(v)),
    clientUuid: uuidRaw === undefined ? undefined : decodeClientUuid(uuidRaw),
    bootKind: bootClientKind(vendorClass, userClasses),
    relayInfo: relayRaw === undefined ? undefined : decodeRelayAgentInfo(relayRaw),
    relay: pkt.giaddr === ZERO ? undefined : pkt.giaddr,
    ciaddr: pkt.ciaddr === ZERO ? undefined : pkt.ciaddr,
  };
}
