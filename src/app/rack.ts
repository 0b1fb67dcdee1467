/**
 * Composition root of the rack: the link to the region (dialled out, authenticated with the shared
 * secret), the serving side (DHCP, TFTP, HTTP boot on port 5248 with `/MAAS/` forwarded to the
 * region) and the power service the region drives through the link. The rack's settings come from
 * `<data-dir>/rack.json`, written by `plinth rack register`, or from options (`plinth start` hands
 * its own region's URL and secret). While the region is unreachable the rack keeps serving from
 * the last DHCP service and the boot answers it cached. Boot images are synced from the region into
 * `<data-dir>/images` (src/edges/rack/images; docs/rack.md).
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { hostname as osHostname } from 'node:os';
import { z } from 'zod';
import { join } from 'node:path';
import type { BootDecision } from '../domain/boot/types.ts';
import type { DhcpRackService } from '../domain/network/dhcp-service.ts';
import { RegionLink } from '../edges/rack/link/client.ts';
import { powerExecuteHandler } from '../edges/rack/link/power-handler.ts';
import { dhcpConfig, SECRET_PATTERN, type RackInterface } from '../edges/rack/link/protocol.ts';
import { localInterfaces } from '../edges/rack/link/interfaces.ts';
import { detectMissingPackages, POWER_DRIVERS } from '../edges/rack/power/registry.ts';
import { PowerService } from '../edges/rack/power/service.ts';
import { RackServices, type ServiceName } from '../edges/rack/services.ts';
import { ImageCache, type ImageCacheOptions } from '../edges/rack/images/cache.ts';
import { ImageSyncer } from '../edges/rack/images/syncer.ts';
import { createLogger, type Log } from './logger.ts';

export interface RackOptions {
  dataDir: string;
  /** Region URL and secret; default: `<dataDir>/rack.json`. */
  url?: string;
  secret?: string;
  version: string;
  host?: string;
  ports?: { dhcp?: number; tftp?: number; http?: number };
  enable?: Partial<Record<ServiceName, boolean>>;
  /** Boot images served under /images/ (default `<dataDir>/images`; `plinth start` shares the region's). */
  imagesRoot?: string;
  logLevel?: string;
  log?: Log;
  /** Interfaces to announce (default: this host's, from the OS). */
  interfaces?: () => RackInterface[];
  /** How often the interfaces are re-read and, when changed, reported to the region (default 10 s). */
  interfacesPollMs?: number;
  /** Host name to register under (default: this host's). */
  hostname?: string;
  /** Size budget of the image cache in bytes (`--image-cache-max`; default unlimited). */
  imageCacheMax?: number;
  /** Further image cache settings (stall timeout, retries, throttle: tests shorten them). */
  imageCache?: Partial<Omit<ImageCacheOptions, 'root' | 'maxBytes'>>;
}

export interface RunningRack {
  link: RegionLink;
  services: RackServices;
  /** The image cache synced from the region (src/edges/rack/images). */
  images: { cache: ImageCache; syncer: ImageSyncer };
  close(): Promise<void>;
}

export const RACK_FILE = 'rack.json';
export const rackFile = z.object({ url: z.string().url(), secret: z.string().regex(SECRET_PATTERN), system_id: z.string().optional() });
export type RackFile = z.infer<typeof rackFile>;

/** The rack's registration (`plinth rack register` writes it), if this data directory has a valid one. */
export function readRackFile(dataDir: string): RackFile | undefined {
  const f = join(dataDir, RACK_FILE);
  if (!existsSync(f)) return undefined;
  const r = rackFile.safeParse(JSON.parse(readFileSync(f, 'utf8')));
  return r.success ? r.data : undefined;
}

/** A host name the region accepts (RFC 1123 label). */
const rackHostname = () => osHostname().split('.')[0].replace(/[^a-zA-Z0-9-]/g, '-').replace(/^-+|-+$/g, '').slice(0, 63) || 'rack';

export async function startRack(o: RackOptions): Promise<RunningRack> {
  const log = o.log ?? createLogger(o.logLevel);
  mkdirSync(o.dataDir, { recursive: true, mode: 0o700 });
  const saved = readRackFile(o.dataDir);
  const url = o.url ?? saved?.url;
  const secret = o.secret ?? saved?.secret;
  if (!url || !secret) throw new Error(`This rack is not registered: run \`plinth rack register --url URL --secret SECRET --data-dir ${o.dataDir}\` first.`);
  const missing = await detectMissingPackages();
  const link = new RegionLink({
    url, secret, hostname: o.hostname ?? rackHostname(), version: o.version, interfaces: o.interfaces ?? localInterfaces, systemId: saved?.system_id,
    dataDir: o.dataDir, powerTypes: POWER_DRIVERS.map((d) => d.name).filter((n) => !missing[n]?.length), log,
    interfacesPollMs: o.interfacesPollMs,
  });
  link.handle('power.execute', powerExecuteHandler(new PowerService()));
  const services = new RackServices({
    dataDir: o.dataDir, host: o.host, ports: o.ports, enable: o.enable, regionUrl: url, imagesRoot: o.imagesRoot,
    decide: async (q) => (await link.decideBoot(q)) as BootDecision,
    onStatus: (status) => { void link.reportServices({ ...status, power: { status: 'running' } }).catch(() => undefined); },
    onLeases: (events) => {
      const leases = events
        .filter((e) => e.type !== 'decline')
        .map((e) => ({ ip: e.ip, mac: e.mac, client_key: e.clientKey, action: e.type === 'renew' ? 'commit' as const : e.type as 'commit' | 'release' | 'expiry', ...(e.expiresAt ? { expires: new Date(e.expiresAt).toISOString() } : {}) }));
      if (leases.length) link.reportLeases({ leases }).catch((err: Error) => log.warn({ err: err.message, count: leases.length }, 'lease report not delivered'));
    },
    onError: (service, err) => log.warn({ service, err: err.message }, 'rack service problem'),
  });
  let takenOver = '';
  const applyDhcp = (raw: unknown) => {
    const push = dhcpConfig.safeParse(raw);
    if (!push.success) { log.warn({ err: push.error.message }, 'DHCP service from the region refused'); return; }
    const gone = new Set(push.data.primary_gone);
    const goneText = [...gone].sort().join(',');
    if (goneText !== takenOver) log.warn({ vlans: [...gone] }, gone.size ? 'taking over DHCP as secondary: the primary rack is gone' : 'the primary racks are back; DHCP secondary on standby');
    takenOver = goneText;
    services.setDhcpService(push.data as unknown as DhcpRackService, gone, push.data.leases)
      .catch((err: Error) => log.warn({ err: err.message }, 'DHCP service from the region refused'));
  };
  link.on('dhcp', applyDhcp);
  link.on('connected', ({ systemId }: { systemId: string }) => log.info({ systemId, url }, 'rack linked to its region'));
  link.on('disconnected', ({ reason, retryInMs }: { reason: string; retryInMs: number }) => log.warn({ reason, retryInMs }, 'region link down; serving from cache'));
  link.on('auth-failed', (message: string) => log.error({ message }, 'the region refused this rack\'s secret'));
  if (link.dhcpConfig) applyDhcp(link.dhcpConfig);
  await services.start();
  // A standby secondary answering on its own (standby.ts): say so once per client.
  services.dhcp?.onTakeover((t) => {
    if (t.first) log.warn({ client: t.clientKey, mac: t.mac, subnet: t.subnet, ip: t.ip, reason: t.reason }, 'DHCP standby taking over for a client the primary is not answering');
  });
  // The rack's own images directory is synced from the region; one given explicitly only when it is the region's own.
  const cache = new ImageCache({
    root: services.imagesRoot, stateFile: join(o.dataDir, 'image-cache.json'), log, ...o.imageCache, maxBytes: o.imageCacheMax, owned: o.imagesRoot === undefined,
  }).start();
  const syncer = new ImageSyncer({ link, cache, regionUrl: url, log }).start();
  link.start();
  log.info({ status: services.status, bound: services.bound }, 'rack started');
  return {
    link, services, images: { cache, syncer },
    async close() {
      const synced = syncer.stop();
      await cache.stop();
      await synced;
      await services.close();
      await link.stop();
    },
  };
}
