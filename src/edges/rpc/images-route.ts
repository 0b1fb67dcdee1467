/**
 * `GET|HEAD /MAAS/rpc/images/<path>`: racks download the region's complete images from here, with
 * ranges (resuming) and conditional requests, through the rack HTTP server's file code
 * (../rack/http/files.ts, send-file.ts): the same path checks (no empty, `.`, `..` or encoded
 * separator segments: 400; a symlink leading outside the directory: 403), and only files with a
 * valid `.sha256` marker and no `.partial` (404 otherwise). Requests need
 * `Authorization: PlinthImage <token>`, a token the region handed the rack with the manifest
 * (../rack/images/protocol.ts); 401 without a valid one.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ChunkCache } from '../rack/http/chunk-cache.ts';
import { openImage, PathRefused, safeSegments } from '../rack/http/files.ts';
import { sendFile } from '../rack/http/send-file.ts';
import { checkImageToken, IMAGE_DOWNLOAD_PREFIX, isImagePath, tokenFromHeader } from '../rack/images/protocol.ts';

export interface ImageRouteOptions {
  root: string;
  /** The current shared secret (tokens are checked against it). */
  secret(): Promise<string | undefined>;
  now?: () => number;
  /** Memory for chunks shared by concurrent downloads of one file (default 16 MiB). */
  chunkCacheBytes?: number;
  log?: { warn(o: object, m?: string): void };
}

export function registerImageRoute(app: FastifyInstance, o: ImageRouteOptions): void {
  const chunks = new ChunkCache(256 * 1024, o.chunkCacheBytes ?? 16 * 1024 * 1024);
  const text = (reply: FastifyReply, status: number, body: string) => reply.code(status).type('text/plain; charset=utf-8').send(`${body}\n`);

  app.get(`${IMAGE_DOWNLOAD_PREFIX}*`, async (req: FastifyRequest, reply: FastifyReply) => {
    const raw = req.url.slice(IMAGE_DOWNLOAD_PREFIX.length).split('?')[0];
    let segments: string[];
    try {
      segments = safeSegments(raw);
    } catch (err) {
      if (err instanceof PathRefused) return text(reply, err.status, err.message);
      throw err;
    }
    const path = segments.join('/');
    if (!isImagePath(path)) return text(reply, 400, 'Not an image path.');
    const token = tokenFromHeader(req.headers.authorization);
    const secret = await o.secret();
    const rack = token && secret ? checkImageToken(secret, token, Math.floor((o.now ?? Date.now)() / 1000)) : null;
    if (!rack) {
      reply.header('WWW-Authenticate', 'PlinthImage');
      return text(reply, 401, 'A valid image token is required (racks get one with the image manifest).');
    }
    let file;
    try {
      file = await openImage(o.root, segments);
    } catch (err) {
      if (err instanceof PathRefused) return text(reply, err.status, err.message);
      file = null; // no images directory (yet), or an unreadable file: not there for the rack
    }
    if (!file) return text(reply, 404, 'No such complete image on the region.');
    reply.hijack();
    const out = await sendFile(req.raw, reply.raw, file, chunks);
    if (out.error) o.log?.warn({ path, system_id: rack, err: out.error }, 'image download to a rack broke off');
  });
}
