/**
 * The region's HTTP server (Fastify): the MAAS API edge, describe/, version endpoints, web session
 * endpoints and metrics. Bodies are kept raw (Buffer) so the MAAS wire parsers see exactly what clients
 * sent (quoted multipart boundaries, base64 parts, JSON without a content type).
 */
import Fastify, { LogController, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { ServiceContext } from '../../services/context.ts';
import type { EdgeDeps, HandlerDecl } from '../maas/declare.ts';
import { describeFor } from '../maas/describe.ts';
import { ApiRouter } from '../maas/router.ts';
import { MachineJsonCache } from '../maas/render/cache.ts';
import { createMetrics } from '../metrics.ts';
import { registerAccountRoutes } from '../web/accounts.ts';
import { registerMetadataRoutes } from '../metadata/routes.ts';

export interface RegionServerOptions {
  svc: ServiceContext;
  handlers: HandlerDecl[];
  deps: Omit<EdgeDeps, 'machineCache'> & Partial<Pick<EdgeDeps, 'machineCache'>>;
  logger: false | object;
  bodyLimit?: number;
}

function parseCookies(req: FastifyRequest): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i > 0) out[part.slice(0, i).trim()] = part.slice(i + 1).trim();
  }
  return out;
}

/** Drops OAuth signatures from URLs before they reach a log line. */
const redactUrl = (url: string) => url.replace(/(oauth_signature=)[^&]*/gi, '$1[redacted]');

/**
 * One log line per request, when it completes, in place of Fastify's two at info: machines stream
 * events and poll, so an access log at info would drown what an operator needs to read. Successes at
 * debug, refusals at info, server errors at error (with the error). Fastify's other lines (its error
 * handler's, with stacks) stay as they are.
 */
class RequestLog extends LogController {
  override incomingRequest(): void {}
  override requestCompleted(error: Error | null | undefined, req: FastifyRequest, reply: FastifyReply): void {
    const status = reply.statusCode;
    const level = error || status >= 500 ? 'error' : status >= 400 ? 'info' : 'debug';
    reply.log[level]({ method: req.method, url: redactUrl(req.url), status, ms: Math.round(reply.elapsedTime), ...(error ? { err: error } : {}) }, 'request');
  }
}

export function buildRegionServer(opts: RegionServerOptions): { app: FastifyInstance; router: ApiRouter } {
  const app = Fastify({
    logger: opts.logger === false ? false : {
      ...opts.logger,
      redact: { paths: ['req.headers.authorization', 'req.headers.cookie', 'res.headers["set-cookie"]'], censor: '[redacted]' },
      serializers: {
        req: (r: FastifyRequest) => ({ method: r.method, url: redactUrl(r.url), remoteAddress: r.ip }),
      },
    },
    bodyLimit: opts.bodyLimit ?? 64 * 1024 * 1024,
    trustProxy: false,
    logController: new RequestLog(),
    routerOptions: { ignoreTrailingSlash: false, maxParamLength: 2048 },
  });
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));

  const router = new ApiRouter(opts.handlers, opts.svc, { machineCache: new MachineJsonCache(), ...opts.deps });
  const metrics = createMetrics(opts.svc);
  const hash = router.description.hash;
  const origin = (req: FastifyRequest) => `${req.protocol}://${req.headers.host ?? `${req.hostname}`}`;

  app.get('/MAAS/api/version/', async (_req, reply) => reply.type('text/plain').send('2.0'));
  app.all('/MAAS/api/1.0/*', async (_req, reply) =>
    reply.code(410).type('text/plain').send('The 1.0 API is no longer available. Please use API version 2.0.'));
  app.get('/MAAS/api/2.0/describe/', async (req, reply) =>
    reply.header('X-MAAS-API-Hash', hash).header('content-type', 'application/json').send(Buffer.from(describeFor(router.description, origin(req)))));

  const api = async (req: FastifyRequest, reply: import('fastify').FastifyReply) => {
    const started = process.hrtime.bigint();
    const { reply: r, handlerName, op } = await router.dispatch({
      method: req.method, url: req.url, origin: origin(req), headers: req.headers,
      body: req.body as Buffer | undefined, remoteAddress: req.ip, cookies: parseCookies(req),
    });
    const status = r.status ?? 200;
    metrics.observe(handlerName, op, req.method, status, Number(process.hrtime.bigint() - started) / 1e9);
    reply.code(status).header('X-MAAS-API-Hash', hash);
    for (const [k, v] of Object.entries(r.headers ?? {})) reply.header(k, v);
    if (status === 204) return reply.send();
    return reply.type(r.contentType ?? 'text/plain; charset=utf-8').send(r.body);
  };
  app.all('/MAAS/api/2.0/*', api);
  app.all('/MAAS/api/2.0/', api);

  registerAccountRoutes(app, opts.svc, parseCookies);
  registerMetadataRoutes(app, opts.svc);

  app.get('/MAAS/metrics', async (_req, reply) =>
    reply.type(metrics.registry.contentType).send(await metrics.registry.metrics()));

  return { app, router };
}
