/**
 * The rack's serving side, composed: the DHCPv4 server (configured from the region's derived
 * service), TFTP and HTTP boot (configurations decided by the region through `decide`, images from
 * the local cache directory). Each service starts on its own; one that cannot (port taken, no
 * permission) is reported `degraded` with the reason while the others serve. Leases persist in the
 * rack's data directory and are forwarded through `onLeases` in batches; leases of a failover peer
 * that the region pushes are loaded into the same store (dhcp-lease-seed.ts).
 */
import { join } from 'node:path';
import { mkdirSync } from 'node:fs';
import type { DhcpRackService } from '../../domain/network/dhcp-service.ts';
import type { DhcpKnownLease } from '../../domain/network/dhcp-failover.ts';
import { learnLeases } from './dhcp-lease-seed.ts';
import { cidrContains, parseCidr, parseIp } from './dhcp/ipv4.ts';
import { DhcpServer, FileLeaseStore, type DhcpConfig, type LeaseEvent, type ListenOptions } from './dhcp/index.ts';
import { TftpServer } from './tftp/index.ts';
import { HttpBootServer } from './http/index.ts';
import { httpBootBackend, tftpBootBackend, type Decide } from './boot/backend.ts';
import { dhcpConfigFromService } from './dhcp-service-config.ts';
import { regionProxy } from './proxy.ts';

export type ServiceName = 'dhcp' | 'tftp' | 'http';
export interface ServiceState { status: 'running' | 'degraded' | 'off'; reason?: string }

export interface RackServicesOptions {
  dataDir: string;
  decide: Decide;
  /** Address to bind the servers to (default all: DHCP needs the wildcard to see broadcasts). */
  host?: string;
  ports?: { dhcp?: number; tftp?: number; http?: number };
  /** Further DHCP listen settings (client/relay ports: tests on loopback). */
  dhcpListen?: Omit<ListenOptions, 'port' | 'address'>;
  /** Services to run (default all three). */
  enable?: Partial<Record<ServiceName, boolean>>;
  imagesRoot?: string;
  /** The region's URL: `/MAAS/` on the HTTP port is forwarded there (metadata service, API). */
  regionUrl?: string;
  bootloaders?: Record<string, string>;
  /** Lease changes, batched (at most every `leaseBatchMs`, default 1000). */
  onLeases?: (events: LeaseEvent[]) => void;
  onStatus?: (status: Record<ServiceName, ServiceState>) => void;
  onError?: (service: ServiceName, err: Error) => void;
  leaseBatchMs?: number;
}

export class RackServices {
  readonly status: Record<ServiceName, ServiceState> = { dhcp: { status: 'off' }, tftp: { status: 'off' }, http: { status: 'off' } };
  dhcp?: DhcpServer;
  tftp?: TftpServer;
  http?: HttpBootServer;
  bound: Partial<Record<ServiceName, { address: string; port: number }>> = {};
  private config: DhcpConfig = { subnets: [] };
  private pending: LeaseEvent[] = [];
  private flushTimer?: NodeJS.Timeout;
  private leases?: FileLeaseStore;
  /** The last service and peer leases, to load once the lease store is open. */
  private learn?: { svc: DhcpRackService; leases: readonly DhcpKnownLease[] };

  constructor(private readonly o: RackServicesOptions) {}

  get imagesRoot(): string { return this.o.imagesRoot ?? join(this.o.dataDir, 'images'); }
  get httpPort(): number { return this.bound.http?.port ?? this.o.ports?.http ?? 5248; }

  /** The rack's own address on the subnet of `ip` (for TFTP replies, which cannot tell). */
  rackAddressFor(ip: string): string | null {
    const addr = parseIp(ip.replace(/^::ffff:/, ''));
    if (addr === null) return null;
    for (const s of this.config.subnets) {
      const net = parseCidr(s.cidr);
      if (net && cidrContains(net, addr)) return s.serverAddress;
    }
    return this.config.subnets.length === 1 ? this.config.subnets[0].serverAddress : null;
  }

  async start(): Promise<void> {
    const on = (s: ServiceName) => this.o.enable?.[s] ?? true;
    const host = this.o.host ?? '0.0.0.0';
    mkdirSync(this.imagesRoot, { recursive: true });
    const decide: Decide = (q) => this.o.decide({ ...q, httpPort: this.httpPort });
    if (on('http')) {
      await this.attempt('http', async () => {
        this.http = new HttpBootServer({ backend: httpBootBackend({ decide, httpPort: this.o.ports?.http ?? 5248 }), imagesRoot: this.imagesRoot, bootloaders: this.o.bootloaders,
          ...(this.o.regionUrl ? { upstream: { prefix: '/MAAS/', handle: regionProxy(this.o.regionUrl) } } : {}),
        });
        this.bound.http = await this.http.listen({ host, port: this.o.ports?.http ?? 5248 });
      });
    }
    if (on('tftp')) {
      await this.attempt('tftp', async () => {
        this.tftp = new TftpServer({ backend: tftpBootBackend({ decide, httpPort: this.httpPort, bootloaders: this.o.bootloaders, rackHostFor: (r) => this.rackAddressFor(r.address) }) });
        const a = await this.tftp.listen({ address: host, port: this.o.ports?.tftp ?? 69 });
        this.bound.tftp = { address: a.address, port: a.port };
      });
    }
    if (on('dhcp')) {
      await this.attempt('dhcp', async () => {
        this.leases = await FileLeaseStore.open(join(this.o.dataDir, 'dhcp-leases.jsonl'));
        if (this.learn) await learnLeases(this.leases, this.learn.svc, this.learn.leases, Date.now());
        this.dhcp = new DhcpServer({
          config: this.config, store: this.leases,
          onEvent: (e) => this.lease(e),
          onError: (err) => this.o.onError?.('dhcp', err),
        });
        this.bound.dhcp = await this.dhcp.listen({ ...this.o.dhcpListen, port: this.o.ports?.dhcp ?? 67, address: host });
      });
    }
    this.o.onStatus?.(this.status);
  }

  /**
   * Applies the region's DHCP service (or a cached copy of it): `primaryGone` names the VLANs this
   * rack takes over as secondary, `leases` are the failover VLANs' leases to recognise. Resolves
   * once those leases are in the store (the configuration applies at once).
   */
  async setDhcpService(svc: DhcpRackService, primaryGone?: ReadonlySet<number>, leases: readonly DhcpKnownLease[] = []): Promise<void> {
    this.config = dhcpConfigFromService(svc, { primaryGone });
    this.dhcp?.updateConfig(this.config);
    this.learn = { svc, leases };
    if (this.leases && leases.length) await learnLeases(this.leases, svc, leases, Date.now());
  }

  private async attempt(name: ServiceName, fn: () => Promise<void>): Promise<void> {
    try {
      await fn();
      this.status[name] = { status: 'running' };
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      const reason = e.code === 'EADDRINUSE' ? `port in use (${e.message})` : e.code === 'EACCES' ? `permission denied binding its port (${e.message})` : e.message;
      this.status[name] = { status: 'degraded', reason };
      this.o.onError?.(name, e);
    }
  }

  private lease(e: LeaseEvent): void {
    this.pending.push(e);
    this.flushTimer ??= setTimeout(() => this.flush(), this.o.leaseBatchMs ?? 1000);
  }

  private flush(): void {
    this.flushTimer = undefined;
    const batch = this.pending;
    this.pending = [];
    if (batch.length) this.o.onLeases?.(batch);
  }

  async close(): Promise<void> {
    clearTimeout(this.flushTimer);
    this.flush();
    await Promise.allSettled([this.dhcp?.close(), this.tftp?.close(), this.http?.close()]);
    await this.leases?.close?.();
    for (const s of Object.keys(this.status) as ServiceName[]) this.status[s] = { status: 'off' };
  }
}
