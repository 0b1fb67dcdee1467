/**
 * The region's side of image sync, composed (region.ts wires it; docs/rack.md "Boot images on a
 * separate rack"):
 *
 *   const images = new RegionImages({ svc, registry, root: '<data-dir>/images' });
 *   images.registerRoute(app);                           // before app.listen: GET /MAAS/rpc/images/…
 *   attachRackEndpoint({ …, extend: images.extend });    // images.manifest, images.progress on each link
 *   svc.rackImages = images.hooks;  images.start();      // import_boot_images; pushes when images change
 *
 * `images.manifest` answers the manifest (images-manifest.ts) and a download token for the asking
 * rack; a rack that asked is known to sync images, and only such racks get `images.sync` pushes (an
 * older rack would take an unknown push as a protocol error). Every `pollMs` the manifest is
 * recomputed (stat-based) and a changed digest — a build published, a boot resource imported —
 * pushes `images.sync` to them.
 */
import type { FastifyInstance } from 'fastify';
import type { ServiceContext } from '../../services/context.ts';
import type { RackImageHooks } from '../../services/racks/images-hooks.ts';
import { recordImageSync } from '../../services/racks/images-status.ts';
import { getRackSecret } from '../../services/racks/secret.ts';
import { LinkCallError, type LinkPeer } from '../rack/link/peer.ts';
import { IMAGE_TOKEN_TTL_S, IMAGES_MANIFEST, IMAGES_PROGRESS, IMAGES_SYNC, imageProgress, issueImageToken, type ImageManifest } from '../rack/images/protocol.ts';
import { RegionImageManifest } from './images-manifest.ts';
import { registerImageRoute } from './images-route.ts';
import type { RackRegistry } from './registry.ts';

export interface RegionImagesOptions {
  svc: ServiceContext;
  registry: RackRegistry;
  /** The region's images directory (`<data-dir>/images`). */
  root: string;
  /** How often to look for changed images (default 10 s; 0: never). */
  pollMs?: number;
  tokenTtlS?: number;
}

export class RegionImages {
  readonly manifest: RegionImageManifest;
  private readonly syncing = new WeakSet<LinkPeer>();
  private lastDigest: string | undefined;
  private timer: NodeJS.Timeout | undefined;
  private secretCache: { value: string | undefined; at: number } | undefined;

  constructor(private readonly o: RegionImagesOptions) {
    this.manifest = new RegionImageManifest(o.root);
  }

  private async secret(): Promise<string | undefined> {
    const c = this.secretCache;
    if (c && Date.now() - c.at < 5000) return c.value;
    const value = await getRackSecret(this.o.svc.db);
    this.secretCache = { value, at: Date.now() };
    return value;
  }

  registerRoute(app: FastifyInstance): void {
    registerImageRoute(app, { root: this.o.root, secret: () => this.secret(), log: this.o.svc.log });
  }

  /** For attachRackEndpoint's `extend`: the image calls on one rack's link. */
  readonly extend = (peer: LinkPeer, systemId: () => string | undefined): void => {
    const sid = () => {
      const s = systemId();
      if (!s) throw new LinkCallError('not_registered', 'Say hello first.', false);
      return s;
    };
    peer.handle(IMAGES_MANIFEST, async () => {
      const rack = sid();
      const m = await this.manifest.get();
      this.secretCache = undefined;
      const secret = await this.secret();
      if (!secret) throw new LinkCallError('unavailable', 'The region has no shared secret yet.', true);
      const ttl = this.o.tokenTtlS ?? IMAGE_TOKEN_TTL_S;
      this.syncing.add(peer);
      const reply: ImageManifest = {
        digest: m.digest, files: m.files, ...(m.root ? { root: m.root } : {}),
        token: issueImageToken(secret, rack, Math.floor(Date.now() / 1000), ttl), expires_in: ttl,
      };
      return reply;
    });
    peer.handle(IMAGES_PROGRESS, async (raw) => {
      const rack = sid();
      const p = imageProgress.safeParse(raw);
      if (!p.success) throw new LinkCallError('bad_request', `Invalid parameters for ${IMAGES_PROGRESS}.`, false);
      try {
        await recordImageSync(this.o.svc, rack, p.data);
      } catch {
        throw new LinkCallError('internal', 'The region could not record the image sync progress.', true);
      }
      return { ok: true };
    });
  };

  readonly hooks: RackImageHooks = {
    requestSync: (systemId) => {
      const one = systemId ? this.o.registry.get(systemId) : undefined;
      const racks = systemId ? (one ? [one] : []) : this.o.registry.list();
      const told: string[] = [];
      for (const r of racks) {
        if (!this.syncing.has(r.peer)) continue;
        r.peer.push(IMAGES_SYNC, { digest: this.lastDigest ?? null });
        told.push(r.systemId);
      }
      return told;
    },
    current: async () => {
      const m = await this.manifest.get(true);
      return { digest: m.digest, files: m.files.length, bytes: m.files.reduce((n, f) => n + f.size, 0) };
    },
  };

  start(): this {
    const pollMs = this.o.pollMs ?? 10_000;
    void this.poll(); // the baseline
    if (pollMs > 0) {
      this.timer = setInterval(() => { void this.poll(); }, pollMs);
      this.timer.unref();
    }
    return this;
  }

  stop(): void { clearInterval(this.timer); }

  /** Pushes `images.sync` when the region's images changed since the last look. */
  async poll(): Promise<boolean> {
    try {
      const m = await this.manifest.get(true);
      const changed = this.lastDigest !== undefined && this.lastDigest !== m.digest;
      this.lastDigest = m.digest;
      if (changed) {
        const told = this.hooks.requestSync();
        this.o.svc.log.info({ files: m.files.length, racks: told.length }, 'boot images changed; racks told to sync');
      }
      return changed;
    } catch (err) {
      this.o.svc.log.warn({ err: (err as Error).message }, 'could not read the images directory');
      return false;
    }
  }
}
