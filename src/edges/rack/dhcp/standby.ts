/**
 * Failover standby policy: when a secondary's standby subnet answers a client on its own.
 *
 * A standby subnet (failover secondary while its primary is believed alive) leaves clients to the
 * primary. The region tells the secondary when the primary is gone (`primary_gone`); when the
 * region is unreachable too, nobody would, so — as ISC dhcpd's failover "load balance max seconds"
 * does (dhcpd.conf(5): the cutoff "based on the number of seconds since the client sent its first
 * DHCPDISCOVER or DHCPREQUEST message … the other failover peer will take over its client load
 * automatically as the clients retry") — it takes over, per client, for a client the primary
 * evidently is not answering:
 *
 * - the client's `secs` (RFC 2131 §2: "seconds elapsed since client began address acquisition or
 *   renewal process") is at least `takeoverSecs` (default 8). dhclient and busybox udhcpc send
 *   elapsed seconds. iPXE (user class "iPXE") sends `(transmission count << 2) | 0x02 when it
 *   holds a DHCPOFFER | 0x01 when it holds a ProxyDHCPOFFER` (src/net/udp/dhcp.c), so its second
 *   DISCOVER, a second after the first, carries 8 if nobody answered the first. With an offer it
 *   still retransmits while it waits up to 2 s for ProxyDHCP offers (DHCP_DISC_PROXY_TIMEOUT_SEC),
 *   then carrying 8|2: that client is being answered (by the primary: this server sent nothing),
 *   so its secs do not count — else, taking the last offer of equal priority, it would land on
 *   either server at random while the primary lives;
 * - or this server has itself seen the client's DISCOVERs (or INIT-REBOOT REQUESTs) for at least
 *   `takeoverSecs` seconds, with no REQUEST from it selecting another server in between (a
 *   broadcast REQUEST naming another server identifier means the primary answered, RFC 2131
 *   §4.3.2). This covers clients that leave secs at 0 (older busybox udhcpc). Attempts further apart
 *   than `gapMs` (default 90 s: RFC 2131 §4.1 backs off to at most 64 s ±1) start a new count.
 *
 * Taking over never hands out an address twice: a DISCOVER is offered an address from this
 * server's own half of the pools only (or the client's reservation, which both servers give the
 * same); an INIT-REBOOT or REBINDING request (no server identifier) is ACKed only for the lease
 * this server knows the client holds — granted here or learned from the peer through the region —
 * with the same address, and otherwise gets silence: a standby is not authoritative, so it never
 * NAKs (RFC 2131 §4.3.2: a server with no record of the client "MUST remain silent").
 *
 * An INIT-REBOOT for a lease this server granted itself is ACKed at once, and the primary leaves
 * it alone (handler.ts `peerFirst`: a server ACKs INIT-REBOOT of a lease it only learned from its
 * peer once the client has waited): with both answering, the client could take the primary's ACK,
 * renew there by unicast, and — the region down — the lease would run out here while it lives on.
 * Making the standby the one to wait instead would move every such lease to the primary. Leases
 * still move (a PXE DISCOVER is the primary's, which offers the address it knows), so an address
 * whose lease ended here is kept from other clients for one MCLT (allocator.ts).
 *
 * A REBINDING client (ciaddr set, no server identifier, broadcast: RFC 2131 §4.4.5, after T2)
 * failed to renew with the server that granted its lease, so a known lease is ACKed at once; if
 * both servers answer, they give the same address. A client renewing or releasing a lease this
 * server granted itself, or answering this server's OFFER (a REQUEST naming its server
 * identifier), or declining an address of this server, is served as usual.
 *
 * The per-client memory is bounded: at most `maxClients` clients trying and as many taken over
 * (least recently seen dropped first); attempts older than `gapMs` are swept. A flood of random MACs can at worst make this
 * server forget a real client's earlier DISCOVERs, which only delays its takeover.
 */
import { MessageType } from './codes.ts';
import type { Subnet } from './config.ts';
import type { Lease, LeaseStore } from './lease-store.ts';
import type { DhcpRequest } from './request.ts';

export const DEFAULT_TAKEOVER_SECS = 8;

/** Why a standby subnet answers a client the primary is not answering. */
export type TakeoverReason = 'secs' | 'retries' | 'rebinding';

/** What the standby policy says to do with a request on a standby subnet. */
export type StandbyVerdict =
  /** Handle it as usual: the client addresses this server (its own lease, its own OFFER). */
  | { kind: 'serve' }
  | { kind: 'quiet'; why: string }
  /** DISCOVER of a client the primary is not answering: OFFER from this server's own half. */
  | { kind: 'offer'; reason: TakeoverReason }
  /** Confirm (ACK) the lease at `ip` the client is known to hold, or stay silent. */
  | { kind: 'confirm'; ip: string; reason?: TakeoverReason };

/** A takeover: a standby subnet answered a client the primary was not answering. */
export interface StandbyTakeover {
  clientKey: string;
  mac: string;
  subnet: string;
  reason: TakeoverReason;
  /** The address offered or confirmed. */
  ip?: string;
  /** True the first time this server takes over for this client (as far as it remembers). */
  first: boolean;
}

export interface StandbyWatchOptions {
  /** Most clients remembered (default 4096). */
  maxClients?: number;
  /** Attempts further apart than this start a new count (default 90 s). */
  gapMs?: number;
}

interface Trying { first: number; last: number }

/** Moves key to the most recent end of an insertion-ordered map, dropping the oldest above max. */
function touch<V>(map: Map<string, V>, key: string, value: V, max: number): void {
  map.delete(key);
  map.set(key, value);
  while (map.size > max) map.delete(map.keys().next().value as string);
}

/** The server's bounded memory of clients trying to get an address, and of its takeovers. */
export class StandbyWatch {
  readonly maxClients: number;
  readonly gapMs: number;
  private readonly trying = new Map<string, Trying>();
  private readonly taken = new Map<string, number>();

  constructor(o: StandbyWatchOptions = {}) {
    this.maxClients = o.maxClients ?? 4096;
    this.gapMs = o.gapMs ?? 90_000;
  }

  /** Records an acquisition attempt; returns for how long (ms) this client has been trying. */
  attempt(clientKey: string, now: number): number {
    const seen = this.trying.get(clientKey);
    const first = seen && now - seen.last <= this.gapMs && now >= seen.first ? seen.first : now;
    touch(this.trying, clientKey, { first, last: now }, this.maxClients);
    return now - first;
  }

  /** The client selected another server: the primary is answering it. */
  answeredElsewhere(clientKey: string): void {
    this.trying.delete(clientKey);
  }

  /** Counts a takeover for the client; true if it is the first one remembered. */
  tookOver(clientKey: string): boolean {
    const n = this.taken.get(clientKey) ?? 0;
    touch(this.taken, clientKey, n + 1, this.maxClients);
    return n === 0;
  }

  /** Takeover replies sent to this client (while it is remembered). */
  takeoversOf(clientKey: string): number {
    return this.taken.get(clientKey) ?? 0;
  }

  /** Clients remembered: [trying, taken over]. */
  get sizes(): [number, number] {
    return [this.trying.size, this.taken.size];
  }

  /** Forgets attempts older than the gap (the map is in order of last attempt: stop at the first young one). */
  sweep(now: number): void {
    for (const [key, t] of this.trying) {
      if (now - t.last <= this.gapMs) break;
      this.trying.delete(key);
    }
  }
}

export interface StandbyContext {
  /** The standby subnet of the client's segment (or of its ciaddr). */
  subnet: Subnet;
  store: LeaseStore;
  watch?: StandbyWatch;
  takeoverSecs: number;
  now: number;
}

/** The client's live lease at ip: bound to it and unexpired (granted here, or learned if allowed). */
function knownLease(ctx: StandbyContext, req: DhcpRequest, ip: string): Lease | undefined {
  const r = ctx.store.get(ip);
  return r && r.clientKey === req.clientKey && r.state === 'bound' && r.expiresAt > ctx.now && r.subnet === ctx.subnet.key ? r : undefined;
}

/** iPXE's secs flag 0x02: the client already holds a DHCPOFFER (see the header). */
const IPXE_HAS_OFFER = 0x02;

/**
 * Whether the client has waited `takeoverSecs` for an answer (by its `secs`, or as seen here: see the
 * header), recording this attempt; undefined while another server may still answer it.
 */
export function clientWaited(watch: StandbyWatch | undefined, takeoverSecs: number, now: number, req: DhcpRequest): TakeoverReason | undefined {
  const seenMs = watch?.attempt(req.clientKey, now) ?? 0;
  const answered = req.bootKind === 'ipxe' && (req.packet.secs & IPXE_HAS_OFFER) !== 0;
  if (req.packet.secs >= takeoverSecs && !answered) return 'secs';
  if (seenMs >= takeoverSecs * 1000) return 'retries';
  return undefined;
}

const waited = (ctx: StandbyContext, req: DhcpRequest) => clientWaited(ctx.watch, ctx.takeoverSecs, ctx.now, req);

const quiet = (why: string): StandbyVerdict => ({ kind: 'quiet', why: `failover standby: ${why}` });
const SERVE: StandbyVerdict = { kind: 'serve' };

/** The standby policy for one request on a standby subnet (see the header). */
export function standbyVerdict(ctx: StandbyContext, req: DhcpRequest): StandbyVerdict {
  const ours = (serverId: string | undefined) => serverId === ctx.subnet.serverAddress;
  switch (req.messageType) {
    case MessageType.DISCOVER: {
      const reason = waited(ctx, req);
      return reason ? { kind: 'offer', reason } : quiet(`the primary may still answer (secs ${req.packet.secs})`);
    }
    case MessageType.REQUEST: {
      if (req.serverId !== undefined) {
        // SELECTING: the client took our OFFER, or another server's (then the primary answers it).
        if (!ours(req.serverId)) ctx.watch?.answeredElsewhere(req.clientKey);
        return SERVE;
      }
      if (req.ciaddr !== undefined) {
        // RENEWING (unicast to us: a lease of ours) or REBINDING (after T2: its server did not renew).
        const lease = knownLease(ctx, req, req.ciaddr);
        if (!lease) return quiet('no known lease for this client');
        return { kind: 'confirm', ip: req.ciaddr, ...(lease.learned ? { reason: 'rebinding' as const } : {}) };
      }
      if (req.requestedIp !== undefined) {
        // INIT-REBOOT: its own lease at once; a lease learned from the peer once the client waited.
        const reason = waited(ctx, req);
        const lease = knownLease(ctx, req, req.requestedIp);
        if (lease && !lease.learned) return { kind: 'confirm', ip: req.requestedIp };
        if (!reason) return quiet(`the primary may still answer (secs ${req.packet.secs})`);
        return lease ? { kind: 'confirm', ip: req.requestedIp, reason } : quiet('INIT-REBOOT for a lease this server does not know (no NAK: not authoritative)');
      }
      return quiet('REQUEST with neither server id, ciaddr nor requested address');
    }
    case MessageType.RELEASE: {
      const lease = req.ciaddr === undefined ? undefined : knownLease(ctx, req, req.ciaddr);
      return lease && !lease.learned ? SERVE : quiet('RELEASE of a lease this server did not grant');
    }
    case MessageType.DECLINE:
      return ours(req.serverId) ? SERVE : quiet('DECLINE for another server');
    default:
      return quiet('the primary serves this subnet');
  }
}
