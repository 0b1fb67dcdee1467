/**
 * DhcpServer: the UDP loop around the message semantics in handler.ts.
 *
 * Where replies go (RFC 2131 §4.1):
 * - relayed requests (giaddr set): to giaddr, server port (67, `relayPort`);
 * - a client that has an address (ciaddr set: RENEWING, REBINDING, INFORM): unicast to ciaddr:68;
 * - everything else: broadcast.
 *
 * Node's dgram has neither SO_BINDTODEVICE nor IP_PKTINFO, which costs two things:
 * 1. The server cannot tell on which interface a broadcast arrived. Non-relayed clients are
 *    matched to the subnets marked `attached` (by default, those containing the server's own
 *    address); with several attached subnets the choice follows the client's reservation, its
 *    previous lease or its requested address, else the first — correct when they share one link
 *    (a "shared network"), a guess otherwise. Racks that serve several links should serve all but
 *    one through relays.
 * 2. It cannot send a link-layer unicast to a client that has no address yet (no ARP entry to
 *    inject) nor pick the outgoing interface for 255.255.255.255. So broadcasts go, by default, to
 *    the subnet-directed broadcast address (e.g. 10.213.0.255): the kernel routes it out of the
 *    interface that has that subnet and sends it as an Ethernet broadcast. The limited broadcast
 *    255.255.255.255 (`broadcast: 'limited'`) follows the default route instead — the wrong
 *    interface on a multi-homed rack, or ENETUNREACH without a default route — so it is only an
 *    option for single-interface hosts. Both are exercised by the network-namespace tests.
 *
 * Failover: a server whose role is `secondary` stays silent until `primaryGone()` is called, and
 * goes quiet again on `primaryBack()`. Primary and secondary share one LeaseStore, so neither hands
 * out an address the other holds. The server never closes a store it was given. Racks with their
 * own stores use `standby` subnets instead: the server remembers (bounded) which clients keep
 * trying and takes over for those the primary is not answering (standby.ts); `stats.takeovers`
 * counts those replies, `stats.takeoverClients` the clients, and `onTakeover` listeners hear of each.
 */
import { createSocket, type Socket } from 'node:dgram';
import { Allocator } from './allocator.ts';
import { compileConfig, type CompiledConfig, type DhcpConfig } from './config.ts';
import { eventFromLease, type LeaseEvent } from './events.ts';
import { handleRequest, type Destination, type HandlerDeps, type Outcome } from './handler.ts';
import { LIMITED_BROADCAST } from './ipv4.ts';
import { type LeaseStore, MemoryLeaseStore } from './lease-store.ts';
import { decodePacket, encodePacket, hardwareAddress } from './packet.ts';
import { RateLimiter } from './rate-limit.ts';
import { readRequest } from './request.ts';
import { StandbyWatch, type StandbyTakeover, type StandbyWatchOptions } from './standby.ts';

export interface DhcpServerOptions {
  config: DhcpConfig;
  /** Default: a new MemoryLeaseStore. */
  store?: LeaseStore;
  onEvent?: (event: LeaseEvent) => void;
  /** Socket and store errors (the server keeps running). */
  onError?: (err: Error) => void;
  /** Milliseconds since the epoch; default Date.now. */
  clock?: () => number;
  /** How often expired offers, leases and quarantines are swept (default 1000 ms; 0: never). */
  sweepIntervalMs?: number;
  /** Bounds of the per-client memory of standby subnets (standby.ts). */
  standbyWatch?: StandbyWatchOptions;
}

export interface ListenOptions {
  /** UDP port to bind (default 67). */
  port?: number;
  /** Address to bind (default 0.0.0.0: broadcasts are only delivered to wildcard sockets). */
  address?: string;
  /** Port clients listen on (default 68). */
  clientPort?: number;
  /** Port relay agents listen on (default 67). */
  relayPort?: number;
  /** Where broadcast replies go: the subnet-directed address (default) or 255.255.255.255. */
  broadcast?: 'subnet' | 'limited';
}

export interface DhcpStats {
  received: number;
  malformed: number;
  rateLimited: number;
  standby: number;
  /** Replies a standby subnet sent to clients the primary was not answering. */
  takeovers: number;
  /** Clients a standby subnet took over for (each counted the first time). */
  takeoverClients: number;
  silent: number;
  replies: number;
  errors: number;
}

export class DhcpServer {
  private compiled: CompiledConfig;
  private readonly store: LeaseStore;
  private readonly allocator: Allocator;
  private readonly limiter: RateLimiter;
  private readonly clock: () => number;
  private socket: Socket | null = null;
  private listenOpts: Required<ListenOptions> = { port: 67, address: '0.0.0.0', clientPort: 68, relayPort: 67, broadcast: 'subnet' };
  private timer: NodeJS.Timeout | null = null;
  private readonly inflight = new Set<Promise<void>>();
  private primaryIsGone = false;
  readonly stats: DhcpStats = { received: 0, malformed: 0, rateLimited: 0, standby: 0, takeovers: 0, takeoverClients: 0, silent: 0, replies: 0, errors: 0 };
  /** Which clients keep trying, and standby takeovers per client (bounded). */
  readonly watch: StandbyWatch;
  private readonly takeoverListeners = new Set<(t: StandbyTakeover) => void>();

  constructor(private readonly opts: DhcpServerOptions) {
    this.compiled = compileConfig(opts.config);
    this.store = opts.store ?? new MemoryLeaseStore();
    this.allocator = new Allocator(this.store);
    this.limiter = new RateLimiter(this.compiled.rateLimit.burst, this.compiled.rateLimit.perSecond);
    this.clock = opts.clock ?? Date.now;
    this.watch = new StandbyWatch(opts.standbyWatch);
  }

  /** Calls listener whenever a standby subnet takes over for a client; returns an unsubscribe. */
  onTakeover(listener: (t: StandbyTakeover) => void): () => void {
    this.takeoverListeners.add(listener);
    return () => { this.takeoverListeners.delete(listener); };
  }

  /** Replaces the configuration; leases in the store are kept. Throws DhcpConfigError if invalid. */
  updateConfig(config: DhcpConfig): void {
    this.compiled = compileConfig(config);
    this.allocator.reset();
    this.limiter.configure(this.compiled.rateLimit.burst, this.compiled.rateLimit.perSecond);
  }

  get config(): CompiledConfig {
    return this.compiled;
  }

  /** Failover hook: the secondary starts answering. */
  primaryGone(): void {
    this.primaryIsGone = true;
  }

  /** Failover hook: the primary is back; the secondary goes quiet. */
  primaryBack(): void {
    this.primaryIsGone = false;
  }

  /** Whether this server currently answers clients. */
  get answering(): boolean {
    return this.compiled.role === 'primary' || this.primaryIsGone;
  }

  async listen(options: ListenOptions = {}): Promise<{ address: string; port: number }> {
    if (this.socket) throw new Error('already listening');
    this.listenOpts = { ...this.listenOpts, ...options };
    const socket = createSocket({ type: 'udp4' });
    await new Promise<void>((resolve, reject) => {
      const failed = (err: Error): void => { socket.close(); reject(err); };
      socket.once('error', failed);
      socket.bind(this.listenOpts.port, this.listenOpts.address, () => {
        socket.off('error', failed);
        resolve();
      });
    });
    socket.setBroadcast(true);
    socket.on('error', (err) => this.fail(err));
    socket.on('message', (msg) => this.onMessage(msg));
    this.socket = socket;
    const interval = this.opts.sweepIntervalMs ?? 1000;
    if (interval > 0) {
      this.timer = setInterval(() => { void this.sweep().catch((err: Error) => this.fail(err)); }, interval);
      this.timer.unref();
    }
    const addr = socket.address();
    return { address: addr.address, port: addr.port };
  }

  private fail(err: Error): void {
    this.stats.errors += 1;
    this.opts.onError?.(err);
  }

  private onMessage(msg: Buffer): void {
    this.stats.received += 1;
    if (!this.answering) { this.stats.standby += 1; return; }
    let req;
    try {
      const pkt = decodePacket(msg);
      if (!this.limiter.take(hardwareAddress(pkt), this.clock())) { this.stats.rateLimited += 1; return; }
      req = readRequest(pkt);
    } catch {
      this.stats.malformed += 1;
      return;
    }
    const deps: HandlerDeps = { config: this.compiled, store: this.store, allocator: this.allocator, now: this.clock, watch: this.watch };
    const work = handleRequest(deps, req)
      .then((outcome) => this.deliver(outcome))
      .catch((err: Error) => this.fail(err));
    this.inflight.add(work);
    void work.finally(() => this.inflight.delete(work));
  }

  private async deliver(outcome: Outcome): Promise<void> {
    if (outcome.reply) {
      const { bytes } = encodePacket(outcome.reply.packet, { maxLength: outcome.reply.maxLength });
      const [address, port] = this.target(outcome.reply.to);
      await this.send(bytes, port, address);
      this.stats.replies += 1;
      if (outcome.takeover) this.tookOver(outcome.takeover);
    } else {
      this.stats.silent += 1;
    }
    if (outcome.event) this.emit(outcome.event);
  }

  private tookOver(t: StandbyTakeover): void {
    this.stats.takeovers += 1;
    if (t.first) this.stats.takeoverClients += 1;
    for (const listener of this.takeoverListeners) {
      try {
        listener(t);
      } catch (err) {
        this.fail(err as Error);
      }
    }
  }

  private target(to: Destination): [string, number] {
    if (to.kind === 'relay') return [to.address, this.listenOpts.relayPort];
    if (to.kind === 'unicast') return [to.address, this.listenOpts.clientPort];
    return [this.listenOpts.broadcast === 'limited' ? LIMITED_BROADCAST : to.subnet.broadcast, this.listenOpts.clientPort];
  }

  private send(bytes: Buffer, port: number, address: string): Promise<void> {
    const socket = this.socket;
    if (!socket) return Promise.resolve();
    return new Promise((resolve) => {
      socket.send(bytes, port, address, (err) => {
        if (err) this.fail(err);
        resolve();
      });
    });
  }

  private emit(event: LeaseEvent): void {
    try {
      this.opts.onEvent?.(event);
    } catch (err) {
      this.fail(err as Error);
    }
  }

  /**
   * Expires what has run out: bound leases become free (event `expiry`), stale offers and ended
   * quarantines are forgotten. Runs on a timer; callable directly.
   */
  async sweep(): Promise<void> {
    if (!this.answering) return;
    const now = this.clock();
    this.watch.sweep(now);
    const writes: Promise<void>[] = [];
    for (const lease of this.store.list()) {
      if (lease.expiresAt > now) continue;
      if (lease.state === 'bound') {
        const freed = { ...lease, state: 'free' as const, expiresAt: now, updatedAt: now };
        writes.push(this.store.put(freed));
        // A lease learned from the failover peer is the peer's to report.
        if (!lease.learned) this.emit(eventFromLease('expiry', freed, now));
      } else if (lease.state === 'offered' || lease.state === 'declined') {
        writes.push(this.store.remove(lease.ip));
      }
    }
    await Promise.all(writes);
  }

  /** Stops listening and waits for requests in progress. Does not close the store. */
  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await Promise.allSettled([...this.inflight]);
    const socket = this.socket;
    this.socket = null;
    if (socket) await new Promise<void>((resolve) => socket.close(() => resolve()));
  }
}
