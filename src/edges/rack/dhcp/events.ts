/**
 * Lease events, reported through the server's `onEvent` callback (the rack forwards them to the
 * region, as MAAS's dhcpd `on commit/release/expiry` hooks do).
 *
 * - commit: a new binding (first ACK for this client and address);
 * - renew: an existing binding extended (RENEWING, REBINDING or INIT-REBOOT for the same address);
 * - release: the client released its address (DHCPRELEASE);
 * - decline: the client found its address in use (DHCPDECLINE); the address is quarantined;
 * - expiry: a binding ran out without renewal.
 */
import type { Lease } from './lease-store.ts';
import type { DhcpRequest } from './request.ts';

export type LeaseEventType = 'commit' | 'renew' | 'release' | 'decline' | 'expiry';

export interface LeaseEvent {
  type: LeaseEventType;
  ip: string;
  mac: string;
  /** Subnet key (CIDR). */
  subnet: string;
  /** The server's key for the client (option 61 or hardware address): what a failover peer matches on. */
  clientKey: string;
  /** When it happened, ms since the epoch. */
  at: number;
  /** For commit/renew: end of the lease (ms since the epoch) and its length in seconds. */
  expiresAt?: number;
  leaseTime?: number;
  /** Option 61, hex. */
  clientId?: string;
  /** Host name the client sent (option 12), or the reservation's. */
  hostname?: string;
  /** For relayed requests: the relay address and option 82 ids (hex). */
  relay?: { giaddr: string; circuitId?: string; remoteId?: string };
  /** Option 97 machine UUID and option 93 architecture, for network-boot clients. */
  clientUuid?: string;
  architecture?: number;
}

export function eventFromRequest(type: LeaseEventType, lease: Lease, req: DhcpRequest, at: number, leaseTime?: number): LeaseEvent {
  const event: LeaseEvent = { type, ip: lease.ip, mac: req.mac, subnet: lease.subnet, clientKey: lease.clientKey, at };
  if (leaseTime !== undefined) { event.leaseTime = leaseTime; event.expiresAt = lease.expiresAt; }
  if (req.clientId !== undefined) event.clientId = req.clientId;
  const hostname = req.hostname ?? lease.hostname;
  if (hostname !== undefined) event.hostname = hostname;
  if (req.relay !== undefined) {
    event.relay = { giaddr: req.relay };
    if (req.relayInfo?.circuitId !== undefined) event.relay.circuitId = req.relayInfo.circuitId;
    if (req.relayInfo?.remoteId !== undefined) event.relay.remoteId = req.relayInfo.remoteId;
  }
  if (req.clientUuid !== undefined) event.clientUuid = req.clientUuid;
  if (req.architectures.length > 0) event.architecture = req.architectures[0];
  return event;
}

export function eventFromLease(type: LeaseEventType, lease: Lease, at: number): LeaseEvent {
  const event: LeaseEvent = { type, ip: lease.ip, mac: lease.mac, subnet: lease.subnet, clientKey: lease.clientKey, at };
  if (lease.hostname !== undefined) event.hostname = lease.hostname;
  return event;
}
