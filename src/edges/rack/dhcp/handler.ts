/**
 * DHCP message semantics (RFC 2131 §4.3): what to answer a request and which lease to record.
 * No sockets here: the result says what to send where, and which event to report.
 *
 * Silence is the answer whenever the request is not ours: no served subnet for the client's
 * segment or address, a server identifier of another server, or a client we have no record of
 * (RFC 2131 §4.3.2 "MUST remain silent"). NAKs go only to clients on a served subnet whose
 * request is wrong there. A failover standby subnet answers only as standby.ts decides; on any
 * failover subnet, an INIT-REBOOT for a lease learned from the peer is left to the peer until the
 * client has waited (`peerFirst`).
 */
import { MessageType } from './codes.ts';
import { subnetFor, type CompiledConfig, type Subnet } from './config.ts';
import type { Allocator } from './allocator.ts';
import { isAvailable } from './allocator.ts';
import { selectBoot } from './boot.ts';
import { eventFromRequest, type LeaseEvent } from './events.ts';
import { parseIp, cidrContains } from './ipv4.ts';
import type { Lease, LeaseStore } from './lease-store.ts';
import { buildReply, type BuiltReply, type ReplySpec } from './reply.ts';
import type { DhcpRequest } from './request.ts';
import { clientWaited, standbyVerdict, type StandbyTakeover, type StandbyWatch } from './standby.ts';

export interface HandlerDeps {
  config: CompiledConfig;
  store: LeaseStore;
  allocator: Allocator;
  now: () => number;
  /** The server's memory of clients trying (failover standby takeover); none: `secs` alone decides. */
  watch?: StandbyWatch;
}

export type Destination =
  | { kind: 'relay'; address: string }
  | { kind: 'unicast'; address: string }
  | { kind: 'broadcast'; subnet: Subnet };

export interface Outcome {
  reply?: BuiltReply & { to: Destination };
  event?: LeaseEvent;
  /** Why nothing is sent (for statistics and debugging). */
  silence?: string;
  /** Set when a standby subnet answers a client the primary is not answering (standby.ts). */
  takeover?: StandbyTakeover;
}

const silent = (why: string): Outcome => ({ silence: why });

/**
 * The subnet of the client's segment: the relay's (giaddr), else that of ciaddr, else one of the
 * attached subnets — the one holding the client's reservation or previous lease, or its requested
 * address, else the first attached one (RFC 2131 §4.3.1 "the network from which the message was
 * received": Node cannot tell the receiving interface, see server.ts).
 */
export function segmentSubnet(deps: HandlerDeps, req: DhcpRequest): Subnet | undefined {
  if (req.relay !== undefined) return subnetFor(deps.config, req.relay);
  if (req.ciaddr !== undefined) return subnetFor(deps.config, req.ciaddr);
  const attached = deps.config.subnets.filter((s) => s.attached);
  if (attached.length <= 1) return attached[0];
  const hasIp = (s: Subnet, ip: string | undefined): boolean => {
    const n = ip === undefined ? null : parseIp(ip);
    return n !== null && cidrContains(s.cidr, n);
  };
  const previous = deps.store.byClient(req.clientKey).map((l) => l.subnet);
  return attached.find((s) => s.reservationsByMac.has(req.mac))
    ?? attached.find((s) => previous.includes(s.key))
    ?? attached.find((s) => hasIp(s, req.requestedIp))
    ?? attached[0];
}

function destination(req: DhcpRequest, subnet: Subnet, nak: boolean): Destination {
  if (req.relay !== undefined) return { kind: 'relay', address: req.relay };
  if (!nak && req.ciaddr !== undefined) return { kind: 'unicast', address: req.ciaddr };
  return { kind: 'broadcast', subnet };
}

function reply(req: DhcpRequest, spec: ReplySpec, event?: LeaseEvent): Outcome {
  const built = buildReply(req, spec);
  return { reply: { ...built, to: destination(req, spec.subnet, spec.type === MessageType.NAK) }, event };
}

function nak(req: DhcpRequest, subnet: Subnet, message: string): Outcome {
  return reply(req, { type: MessageType.NAK, subnet, message });
}

function leaseTimeFor(subnet: Subnet, req: DhcpRequest): number {
  const asked = req.requestedLeaseTime;
  return asked !== undefined && asked >= 1 && asked < subnet.leaseTime ? asked : subnet.leaseTime;
}

function grantOptions(subnet: Subnet, req: DhcpRequest): Pick<ReplySpec, 'boot' | 'hostname'> {
  return {
    boot: selectBoot(subnet.boot, req),
    hostname: subnet.reservationsByMac.get(req.mac)?.hostname,
  };
}

export async function handleRequest(deps: HandlerDeps, req: DhcpRequest): Promise<Outcome> {
  // A relayed request is ours only if the relay sits on a served subnet; this also guarantees
  // that replies go only to relays on our own networks, whatever else the packet claims.
  if (req.relay !== undefined && !subnetFor(deps.config, req.relay)) return silent('relay is not on a served subnet');
  const standby = await standbyOutcome(deps, req);
  if (standby) return standby;
  switch (req.messageType) {
    case MessageType.DISCOVER: return discover(deps, req);
    case MessageType.REQUEST: return request(deps, req);
    case MessageType.DECLINE: return decline(deps, req);
    case MessageType.RELEASE: return release(deps, req);
    case MessageType.INFORM: return inform(deps, req);
    default: return silent('not a client message');
  }
}

/**
 * On a standby subnet (failover secondary, primary believed alive), what standby.ts decides: silence,
 * an OFFER from this server's own half, or the confirmation of a lease the client is known to hold;
 * undefined when the request is handled as usual.
 */
async function standbyOutcome(deps: HandlerDeps, req: DhcpRequest): Promise<Outcome | undefined> {
  const subnet = req.ciaddr !== undefined ? subnetFor(deps.config, req.ciaddr) : segmentSubnet(deps, req);
  if (!subnet?.standby) return undefined;
  const now = deps.now();
  const verdict = standbyVerdict({ subnet, store: deps.store, watch: deps.watch, takeoverSecs: deps.config.takeoverSecs, now }, req);
  let outcome: Outcome;
  switch (verdict.kind) {
    case 'serve': return undefined;
    case 'quiet': return silent(verdict.why);
    // Only this server's half of the pools (and the client's reservation): never the peer's.
    case 'offer': outcome = await discover(deps, req, { ...subnet, pools: subnet.allocPools }); break;
    case 'confirm':
      if (req.relay !== undefined && subnetFor(deps.config, req.relay) !== subnet) return silent('failover standby: wrong network');
      if (!deps.allocator.canAssign(subnet, verdict.ip, req, now)) return silent('failover standby: the known lease cannot be confirmed');
      outcome = await bind(deps, req, subnet, verdict.ip, now);
  }
  if (verdict.reason === undefined || !outcome.reply) return outcome;
  const first = deps.watch?.tookOver(req.clientKey) ?? true;
  const ip = outcome.reply.packet.yiaddr;
  return { ...outcome, takeover: { clientKey: req.clientKey, mac: req.mac, subnet: subnet.key, reason: verdict.reason, ip, first } };
}

async function discover(deps: HandlerDeps, req: DhcpRequest, within?: Subnet): Promise<Outcome> {
  const subnet = within ?? segmentSubnet(deps, req);
  if (!subnet) return silent('no served subnet for this segment');
  const now = deps.now();
  const ip = deps.allocator.chooseOffer(subnet, req, req.requestedIp, now);
  if (ip === undefined) return silent('no free address');
  const current = deps.store.get(ip);
  const own = current?.clientKey === req.clientKey && (current.state === 'bound' || current.state === 'free') ? current : undefined;
  // The client's live lease, or its ended one still held from others (MCLT, allocator.ts) for the
  // offer's time: that record already keeps the address for it, and stays if it goes elsewhere.
  const alreadyHeld = own !== undefined && ((own.state === 'bound' && own.expiresAt > now) || own.expiresAt + subnet.mcltMs >= now + deps.config.offerHoldMs);
  if (!alreadyHeld) {
    // Offers are held in memory only; this resolves at once (the hold was taken synchronously).
    await deps.store.put({
      ip, subnet: subnet.key, clientKey: req.clientKey, mac: req.mac, state: 'offered',
      expiresAt: now + deps.config.offerHoldMs, hostname: req.hostname, updatedAt: now,
    });
  }
  return reply(req, { type: MessageType.OFFER, subnet, yiaddr: ip, leaseTime: leaseTimeFor(subnet, req), ...grantOptions(subnet, req) });
}

/** Binds ip to the client (durably) and answers ACK. The caller checked canAssign just before. */
async function bind(deps: HandlerDeps, req: DhcpRequest, subnet: Subnet, ip: string, now: number): Promise<Outcome> {
  const found = deps.store.get(ip);
  const previous = found?.clientKey === req.clientKey ? found : undefined;
  const renewing = previous?.state === 'bound' && previous.expiresAt > now;
  const leaseTime = leaseTimeFor(subnet, req);
  const lease: Lease = {
    ip, subnet: subnet.key, clientKey: req.clientKey, mac: req.mac, state: 'bound',
    expiresAt: now + leaseTime * 1000, hostname: req.hostname ?? previous?.hostname, updatedAt: now,
  };
  const writes = [deps.store.put(lease)];
  // The client holds one address per subnet: drop its other holds there.
  for (const other of deps.store.byClient(req.clientKey)) {
    if (other.ip === ip || other.subnet !== subnet.key) continue;
    if (other.state === 'offered') writes.push(deps.store.remove(other.ip));
    else if (other.state === 'bound') writes.push(deps.store.put({ ...other, state: 'free', expiresAt: now, updatedAt: now }));
  }
  await Promise.all(writes);
  const event = eventFromRequest(renewing ? 'renew' : 'commit', lease, req, now, leaseTime);
  return reply(req, { type: MessageType.ACK, subnet, yiaddr: ip, leaseTime, ...grantOptions(subnet, req) }, event);
}

async function request(deps: HandlerDeps, req: DhcpRequest): Promise<Outcome> {
  const now = deps.now();
  if (req.serverId !== undefined) {
    // SELECTING (RFC 2131 §4.3.2).
    const subnet = segmentSubnet(deps, req);
    if (!subnet) return silent('no served subnet for this segment');
    if (req.serverId !== subnet.serverAddress) {
      // The client chose another server: give our offer back.
      const held = deps.store.byClient(req.clientKey).find((l) => l.subnet === subnet.key && l.state === 'offered');
      if (held) await deps.store.remove(held.ip);
      return silent('client selected another server');
    }
    if (req.requestedIp === undefined) return silent('SELECTING request without a requested address');
    if (!deps.allocator.canOffer(subnet, req.requestedIp, req, now)) return nak(req, subnet, 'requested address is not available');
    return bind(deps, req, subnet, req.requestedIp, now);
  }
  if (req.ciaddr !== undefined) {
    // RENEWING (unicast) or REBINDING (broadcast): Node cannot tell them apart; both extend a
    // binding we hold and are silent for clients we do not know.
    const subnet = subnetFor(deps.config, req.ciaddr);
    if (!subnet) return silent('ciaddr is not in a served subnet');
    if (req.relay !== undefined && subnetFor(deps.config, req.relay) !== subnet) return nak(req, subnet, 'wrong network');
    return confirm(deps, req, subnet, req.ciaddr, now);
  }
  if (req.requestedIp !== undefined) {
    // INIT-REBOOT.
    const subnet = segmentSubnet(deps, req);
    if (!subnet) return silent('no served subnet for this segment');
    const n = parseIp(req.requestedIp);
    if (n === null || !cidrContains(subnet.cidr, n)) return nak(req, subnet, 'wrong network');
    const reservation = subnet.reservationsByMac.get(req.mac);
    if (reservation && reservation.ip !== req.requestedIp) return nak(req, subnet, 'client has a reserved address');
    if (!reservation && peerFirst(deps, req, now)) return silent('INIT-REBOOT of a lease learned from the failover peer: the peer answers first');
    return confirm(deps, req, subnet, req.requestedIp, now, reservation !== undefined);
  }
  return silent('REQUEST with neither server id, ciaddr nor requested address');
}

/**
 * Whether an INIT-REBOOT is left to the failover peer: the client's lease here was learned from the
 * peer (granted or last renewed there), and the client has not yet waited `takeoverSecs` for it
 * (standby.ts `clientWaited`). So while both servers live only the one holding the lease first-hand
 * ACKs: two ACKs would let the client pick either, and the one it picks gets its renewals by unicast
 * — which the other server, with the region down, never hears of (the lease "moves" and runs out
 * where it came from). Like ISC's load balancing (RFC 3074, dhcpd.conf(5) "load balance max
 * seconds"), the other server answers once the client's `secs` show it is not being answered.
 */
function peerFirst(deps: HandlerDeps, req: DhcpRequest, now: number): boolean {
  const held = deps.store.get(req.requestedIp!);
  if (!held?.learned || held.clientKey !== req.clientKey || held.state !== 'bound' || held.expiresAt <= now) return false;
  return clientWaited(deps.watch, deps.config.takeoverSecs, now, req) === undefined;
}

/** ACK if our records say the client may keep ip, NAK if another client holds it, else silence. */
function confirm(deps: HandlerDeps, req: DhcpRequest, subnet: Subnet, ip: string, now: number, known = false): Promise<Outcome> | Outcome {
  const record = deps.store.get(ip);
  const ours = record !== undefined && record.clientKey === req.clientKey && record.state !== 'declined';
  if (ours || known) {
    if (deps.allocator.canOffer(subnet, ip, req, now)) return bind(deps, req, subnet, ip, now);
    // The failover peer's half, and our knowledge of the client's lease there has lapsed: the peer
    // may know better (it may have renewed it), so neither grant nor refuse.
    if (deps.allocator.canAssign(subnet, ip, req, now)) return silent("lapsed lease in the failover peer's half");
    return nak(req, subnet, 'address is no longer available');
  }
  if (record && !isAvailable(record, req.clientKey, now)) return nak(req, subnet, 'address belongs to another client');
  return silent('no record of this client');
}

async function decline(deps: HandlerDeps, req: DhcpRequest): Promise<Outcome> {
  if (req.requestedIp === undefined) return silent('DECLINE without an address');
  const subnet = subnetFor(deps.config, req.requestedIp);
  if (!subnet) return silent('declined address is not ours');
  if (req.serverId !== undefined && req.serverId !== subnet.serverAddress) return silent('DECLINE for another server');
  const record = deps.store.get(req.requestedIp);
  if (!record || record.clientKey !== req.clientKey || (record.state !== 'bound' && record.state !== 'offered')) return silent('DECLINE for an address the client does not hold');
  const now = deps.now();
  const declined: Lease = { ...record, state: 'declined', expiresAt: now + deps.config.declineHoldMs, updatedAt: now };
  await deps.store.put(declined);
  return { event: eventFromRequest('decline', declined, req, now), silence: 'DECLINE gets no reply' };
}

async function release(deps: HandlerDeps, req: DhcpRequest): Promise<Outcome> {
  if (req.ciaddr === undefined) return silent('RELEASE without ciaddr');
  const subnet = subnetFor(deps.config, req.ciaddr);
  if (!subnet) return silent('released address is not ours');
  if (req.serverId !== undefined && req.serverId !== subnet.serverAddress) return silent('RELEASE for another server');
  const record = deps.store.get(req.ciaddr);
  if (!record || record.clientKey !== req.clientKey || record.state !== 'bound') return silent('RELEASE for an address the client does not hold');
  const now = deps.now();
  const freed: Lease = { ...record, state: 'free', expiresAt: now, updatedAt: now };
  await deps.store.put(freed);
  return { event: eventFromRequest('release', freed, req, now), silence: 'RELEASE gets no reply' };
}

function inform(deps: HandlerDeps, req: DhcpRequest): Outcome {
  // RFC 2131 §4.3.5: configuration only, no lease, no yiaddr; sent to ciaddr (or the relay).
  if (req.ciaddr === undefined && req.relay === undefined) return silent('INFORM without ciaddr');
  const subnet = req.relay !== undefined ? subnetFor(deps.config, req.relay) : subnetFor(deps.config, req.ciaddr!);
  if (!subnet) return silent('INFORM from an unserved subnet');
  return reply(req, { type: MessageType.ACK, subnet, ...grantOptions(subnet, req) });
}
