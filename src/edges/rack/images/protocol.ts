/**
 * What rack and region say to each other about boot images (on the rack link, see ../link/protocol.ts)
 * and how the rack authenticates its downloads.
 *
 * - `images.manifest` (rack → region call): the region's complete images — every file of its images
 *   directory that has a valid `<file>.sha256` marker — with size and checksum, the manifest's
 *   digest, the directory's identity (so a rack sharing the region's directory knows not to copy
 *   it) and a download token.
 * - `images.progress` (rack → region call): how the rack's sync goes (files and bytes done, state
 *   syncing | synced | failed with the reason) and the images it holds.
 * - `images.sync` (region → rack push): sync now (an `import_boot_images`, or the region's images
 *   changed).
 * - Files are fetched over HTTP from the region: `GET /MAAS/rpc/images/<path>` (ranges supported)
 *   with `Authorization: PlinthImage <token>`. The token is `<system_id>.<expires>.<hmac>`, issued
 *   by the region in the manifest reply: HMAC-SHA256 with the shared secret over
 *   `images:<system_id>:<expires>`, checked by any region on the same store, against the region's own
 *   clock (so the rack's clock does not matter).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';

export const IMAGES_MANIFEST = 'images.manifest';
export const IMAGES_PROGRESS = 'images.progress';
export const IMAGES_SYNC = 'images.sync';
export const IMAGE_DOWNLOAD_PREFIX = '/MAAS/rpc/images/';
export const IMAGE_AUTH_SCHEME = 'PlinthImage';
/** How long a download token is valid (the rack asks for a fresh one well before). */
export const IMAGE_TOKEN_TTL_S = 6 * 3600;

/**
 * A relative path of a file in an images directory: segments that are not empty, `.` or `..`, no
 * backslash or NUL, at most 16 of them; the name is not a marker or a partial download.
 */
export function isImagePath(path: string): boolean {
  if (path.length === 0 || path.length > 1024) return false;
  const segs = path.split('/');
  if (segs.length > 16) return false;
  if (segs.some((s) => s === '' || s === '.' || s === '..' || /[\\\u0000]/.test(s))) return false;
  const last = segs[segs.length - 1];
  return !last.endsWith('.partial') && !last.endsWith('.sha256');
}

const imagePath = z.string().min(1).max(1024).refine(isImagePath, 'not a valid image path');
const sha256 = z.string().regex(/^[0-9a-f]{64}$/);

export const manifestEntry = z.object({
  path: imagePath,
  size: z.number().int().nonnegative(),
  sha256,
  /** Modification time of the region's file (ms since the epoch), for information. */
  mtime: z.number().nonnegative(),
});
export type ManifestEntry = z.infer<typeof manifestEntry>;

/** Identity of an images directory: a rack whose own directory has the same is sharing it. */
export const rootIdentity = z.object({ host: z.string().max(255), dev: z.string().max(64), ino: z.string().max(64) });
export type RootIdentity = z.infer<typeof rootIdentity>;

export const imageManifest = z.object({
  /** sha256 over the sorted (path, size, sha256) list: equal digests, equal contents. */
  digest: sha256,
  files: z.array(manifestEntry).max(50_000),
  root: rootIdentity.optional(),
  /** Download token and its lifetime in seconds from now (measured by the region). */
  token: z.string().max(256),
  expires_in: z.number().int().positive(),
});
export type ImageManifest = z.infer<typeof imageManifest>;

export const rackImage = z.object({ name: z.string().max(128), architecture: z.string().max(64), subarches: z.array(z.string().max(64)).max(64) }).strict();

export const imageProgress = z.object({
  state: z.enum(['syncing', 'synced', 'failed']),
  reason: z.string().max(1024).optional(),
  /** The manifest digest this sync works towards. */
  digest: sha256.optional(),
  files_done: z.number().int().nonnegative(),
  files_total: z.number().int().nonnegative(),
  bytes_done: z.number().nonnegative(),
  bytes_total: z.number().nonnegative(),
  /** Manifest files the rack does not hold because its cache budget is too small. */
  held_back: z.number().int().nonnegative().default(0),
  /** The rack serves the region's own directory (same host, same directory): nothing to copy. */
  shared: z.boolean().optional(),
  images: z.array(rackImage).max(1024).optional(),
});
export type ImageProgress = z.infer<typeof imageProgress>;

// ---- Download tokens -----------------------------------------------------------------------------

function tokenMac(secret: string, systemId: string, expires: number): string {
  return createHmac('sha256', Buffer.from(secret, 'hex')).update(`images:${systemId}:${expires}`).digest('hex');
}

/** A token for `systemId` valid until `nowS + ttlS` (seconds since the epoch). */
export function issueImageToken(secret: string, systemId: string, nowS: number, ttlS = IMAGE_TOKEN_TTL_S): string {
  const expires = Math.floor(nowS) + ttlS;
  return `${systemId}.${expires}.${tokenMac(secret, systemId, expires)}`;
}

/** The rack a valid, unexpired token was issued to; null otherwise. Constant-time comparison. */
export function checkImageToken(secret: string, token: string, nowS: number, maxTtlS = IMAGE_TOKEN_TTL_S): string | null {
  const m = /^([a-z0-9]{1,16})\.(\d{1,12})\.([0-9a-f]{64})$/.exec(token);
  if (!m) return null;
  const expires = Number(m[2]);
  if (expires <= nowS || expires > nowS + maxTtlS + 60) return null;
  const want = Buffer.from(tokenMac(secret, m[1], expires), 'hex');
  const got = Buffer.from(m[3], 'hex');
  return got.length === want.length && timingSafeEqual(got, want) ? m[1] : null;
}

/** The token from an Authorization header value, or null. */
export function tokenFromHeader(value: string | undefined): string | null {
  const m = /^PlinthImage\s+(\S{1,256})$/.exec(value ?? '');
  return m ? m[1] : null;
}
