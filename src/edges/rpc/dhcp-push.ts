/**
 * Keeps each connected rack's DHCP configuration current. On connect the rack gets its service at
 * once; afterwards every `intervalMs` the region derives each connected rack's service and pushes it
 * when its fingerprint changed.
 *
 * Why polling the derived service rather than hooking network-model writes: the service depends on
 * many tables (VLANs, subnets, ranges, every host's static addresses, rack interfaces, DNS/NTP
 * config) written by many use cases, and — with several regions on one database — by other
 * processes. Deriving and comparing catches every cause, on every region, with no write path to
 * forget; the cost is a handful of queries per rack per interval. `nudge()` lets a caller that knows
 * it changed something push without waiting.
 *
 * Failover: what is pushed includes whether each VLAN's primary is live and the VLAN's leases
 * (services/racks/dhcp-push.ts), so a rack linking or unlinking triggers a pass for every rack —
 * that is how a secondary learns at once that its primary is gone, or back.
 */
import type { DhcpRackService } from '../../domain/network/dhcp-service.ts';
import type { ServiceContext } from '../../services/context.ts';
import { dhcpFingerprint } from '../../services/racks/dhcp.ts';
import { dhcpPushForRack } from '../../services/racks/dhcp-push.ts';
import { pruneLeases } from '../../services/racks/lease-view.ts';
import type { RackRegistry } from './registry.ts';

export interface DhcpPusherOptions {
  intervalMs?: number;
  /** The service of one rack (default: services/racks/dhcp.ts). */
  serviceFor?: (ctx: ServiceContext, systemId: string) => Promise<DhcpRackService>;
}

export class DhcpPusher {
  private readonly sent = new Map<string, string>();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private readonly serviceFor: NonNullable<DhcpPusherOptions['serviceFor']>;
  private again: Promise<void> | undefined;
  private prunedAt = 0;
  private stopped = false;
  private readonly onConnected = (sid: string) => { this.sent.delete(sid); void this.pushTo(sid).then(() => this.nudge()); };
  // The link's end is written to the store (rack_status) just after this event: pass a moment later.
  private readonly onDisconnected = (sid: string) => { this.sent.delete(sid); setTimeout(() => { void this.nudge(); }, 250).unref(); };

  constructor(private readonly svc: ServiceContext, private readonly registry: RackRegistry, private readonly o: DhcpPusherOptions = {}) {
    this.serviceFor = o.serviceFor ?? ((ctx, sid) => dhcpPushForRack(ctx, sid));
  }

  start(): this {
    this.registry.on('connected', this.onConnected);
    this.registry.on('disconnected', this.onDisconnected);
    this.timer = setInterval(() => { void this.nudge(); }, this.o.intervalMs ?? 5000);
    this.timer.unref();
    return this;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    this.registry.off('connected', this.onConnected);
    this.registry.off('disconnected', this.onDisconnected);
    await this.running;
  }

  /** Checks every connected rack now (one pass at a time; a nudge during a pass gets one more pass after it). */
  nudge(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    if (this.running) return (this.again ??= this.running.then(() => { this.again = undefined; return this.nudge(); }));
    const pass = (async () => {
      await this.prune();
      for (const r of this.registry.list()) await this.pushTo(r.systemId);
    })();
    // Cleared once settled (never synchronously inside the pass, which may have nothing to await).
    this.running = pass.finally(() => { if (this.running === guarded) this.running = undefined; });
    const guarded = this.running;
    return guarded;
  }

  private async prune(): Promise<void> {
    if (Date.now() - this.prunedAt < 60_000) return;
    this.prunedAt = Date.now();
    try { await pruneLeases(this.svc.db, this.svc.now()); } catch (err) { this.svc.log.warn({ err: (err as Error).message }, 'could not prune old DHCP leases'); }
  }

  private async pushTo(systemId: string): Promise<void> {
    try {
      const svc = await this.serviceFor(this.svc, systemId);
      const fp = dhcpFingerprint(svc);
      if (this.sent.get(systemId) === fp) return;
      if (this.registry.push(systemId, 'dhcp.config', svc)) this.sent.set(systemId, fp);
    } catch (err) {
      this.svc.log.warn({ system_id: systemId, err: (err as Error).message }, 'could not derive DHCP configuration for a rack');
    }
  }
}
