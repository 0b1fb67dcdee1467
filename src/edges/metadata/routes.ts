/** Mounts the metadata service (`/MAAS/metadata/`) on the region's HTTP server. */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ServiceContext } from '../../services/context.ts';
import { dispatchMetadata } from './dispatch.ts';

export function registerMetadataRoutes(app: FastifyInstance, svc: ServiceContext): void {
  const handle = async (req: FastifyRequest, reply: FastifyReply) => {
    // The host the machine used (rack :5248 or region :5240) is where the URLs we hand out point.
    const origin = `${req.protocol}://${req.headers.host ?? req.hostname}`;
    const r = await dispatchMetadata(svc, { method: req.method, url: req.url, origin, headers: req.headers, body: req.body as Buffer | undefined });
    reply.code(r.status ?? 200);
    for (const [k, v] of Object.entries(r.headers ?? {})) reply.header(k, v);
    if (r.status === 204) return reply.send();
    return reply.type(r.contentType ?? 'text/plain; charset=utf-8').send(r.body);
  };
  app.all('/MAAS/metadata', handle);
  app.all('/MAAS/metadata/', handle);
  app.all('/MAAS/metadata/*', handle);
}
