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
 */
import type { DhcpRackService } from '../../domain/network/dhcp-service.ts';
import type { ServiceContext } from '../../services/context.ts';
import { dhcpFingerprint, dhcpServiceForRack } from '../../services/racks/dhcp.ts';
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
  private readonly onConnected = (sid: string) => { this.sent.delete(sid); void this.pushTo(sid); };
  private readonly onDisconnected = (sid: string) => { this.sent.delete(sid); };

  constructor(private readonly svc: ServiceContext, private readonly registry: RackRegistry, private readonly o: DhcpPusherOptions = {}) {
    this.serviceFor = o.serviceFor ?? ((ctx, sid) => dhcpServiceForRack(ctx, sid));
  }

  start(): this {
    this.registry.on('connected', this.onConnected);
    this.registry.on('disconnected', this.onDisconnected);
    this.timer = setInterval(() => { void this.nudge(); }, this.o.intervalMs ?? 5000);
    this.timer.unref();
    return this;
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.registry.off('connected', this.onConnected);
    this.registry.off('disconnected', this.onDisconnected);
    await this.running;
  }

  /** Checks every connected rack now (one pass at a time). */
  nudge(): Promise<void> {
    if (this.running) return this.running;
    const pass = (async () => { for (const r of this.registry.list()) await this.pushTo(r.systemId); })();
    // Cleared once settled (never synchronously inside the pass, which may have nothing to await).
    this.running = pass.finally(() => { if (this.running === guarded) this.running = undefined; });
    const guarded = this.running;
    return guarded;
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
