/**
 * A region for link tests: the real HTTP server (test/helpers/region.ts) with the rack endpoint, the
 * registry, the DHCP pusher and the link power port attached, on short heartbeat timings.
 */
import { attachRackEndpoint, type RackEndpoint } from '../../src/edges/rpc/endpoint.ts';
import { RackRegistry } from '../../src/edges/rpc/registry.ts';
import { DhcpPusher, type DhcpPusherOptions } from '../../src/edges/rpc/dhcp-push.ts';
import { linkPowerPort } from '../../src/edges/rpc/power-port.ts';
import { dropLinksNotOn } from '../../src/edges/rpc/endpoint.ts';
import { ensureRackSecret } from '../../src/services/racks/secret.ts';
import type { RackInterface } from '../../src/edges/rack/link/protocol.ts';
import { RegionLink, type RegionLinkOptions } from '../../src/edges/rack/link/client.ts';
import { startTestRegion, type TestRegion } from '../helpers/region.ts';

export const FAST = { heartbeatMs: 200, deadMs: 800, callTimeoutMs: 2000, handshakeTimeoutMs: 1000 };

export interface LinkedRegion extends TestRegion {
  registry: RackRegistry;
  endpoint: RackEndpoint;
  pusher: DhcpPusher;
  secret: string;
  rpcUrl: string;
  closeLinks(): Promise<void>;
}

export async function startLinkedRegion(o: { maxFrameBytes?: number; pusher?: DhcpPusherOptions } = {}): Promise<LinkedRegion> {
  const region = await startTestRegion(process.env.PLINTH_LINK_BACKEND === 'postgres' ? 'postgres' : 'pglite');
  const registry = new RackRegistry();
  region.svc.power = linkPowerPort(registry, { timeoutMs: 5000 });
  const endpoint = await attachRackEndpoint({ svc: region.svc, server: region.app.server, registry, ...FAST, maxFrameBytes: o.maxFrameBytes });
  region.svc.rackLinks = { drop: (sid, reason) => registry.drop(sid, 1001, reason), secretRotated: (s) => dropLinksNotOn(registry, s) };
  const pusher = new DhcpPusher(region.svc, registry, { intervalMs: 200, ...o.pusher }).start();
  const secret = (await ensureRackSecret(region.svc)).secret;
  const closeLinks = async () => { await pusher.stop(); await endpoint.close(); };
  return {
    ...region, registry, endpoint, pusher, secret, rpcUrl: `${region.origin}/MAAS/`, closeLinks,
    async close() { await closeLinks(); await region.close(); },
  };
}

export const rackIfaces = (n = 1): RackInterface[] => [
  { name: 'eth0', mac: `52:54:00:aa:00:0${n}`, addresses: [`10.77.${n}.2/24`, 'fe80::1/64'] },
  { name: 'eth1', mac: `52:54:00:bb:00:0${n}`, addresses: [] },
  { name: 'eth0.42', mac: `52:54:00:aa:00:0${n}`, addresses: [`10.78.${n}.2/24`], vid: 42, parent: 'eth0' },
];

export function newLink(url: string, secret: string, extra: Partial<RegionLinkOptions> = {}): RegionLink {
  return new RegionLink({
    url, secret, hostname: 'rack-one', version: '0.1.0-test', interfaces: () => rackIfaces(1),
    ...FAST, backoff: { initialMs: 50, maxMs: 400 }, ...extra,
  });
}

export function waitFor<T>(emitter: NodeJS.EventEmitter, event: string, timeoutMs = 20_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`no ${event} within ${timeoutMs} ms`)), timeoutMs);
    emitter.once(event, (v: T) => { clearTimeout(t); resolve(v); });
  });
}

export async function until(check: () => boolean | Promise<boolean>, timeoutMs = 20_000, what = 'condition'): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`timed out waiting for ${what}`);
}
