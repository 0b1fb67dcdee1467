/**
 * Boot resources in the region process: the start hook (images directory bound and scanned, an
 * interrupted import resumed, a periodic rescan; region.ts calls attachBootResources once) and the
 * two routes that take image bytes, which bypass the server's buffered bodies (64 MiB limit):
 *
 * - `POST boot-resources/` with a multipart body and no `op` in the query: authenticated from the
 *   request line and headers (OAuth signatures of multipart requests do not cover the body), then
 *   the body is read as it arrives and the `content` part streamed to a temporary file with its
 *   sha256 (boot-resources-multipart.ts, services/boot-resources/spool.ts); the declared `create`
 *   action then runs on it. Any other POST there is read whole (up to 64 MiB) and handed to the
 *   plain router, so behaviour is the same as without this route.
 * - `PUT boot-resources/{id}/upload/{file_id}/`: one chunk of a chunked upload (the `maas` CLI and
 *   python-libmaas send 4 MiB chunks), appended to the file's partial copy as it arrives.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { rmSync } from 'node:fs';
import type { Readable } from 'node:stream';
import type { ServiceContext, Actor } from '../../../services/context.ts';
import { imagesDirOf } from '../../../services/boot-resources/images-dir.ts';
import { openSpool, type SpooledFile } from '../../../services/boot-resources/spool.ts';
import { startBootResources } from '../../../services/boot-resources/start.ts';
import { uploadChunk } from '../../../services/boot-resources/upload-chunk.ts';
import { buildArgs } from '../args.ts';
import { authenticate } from '../auth.ts';
import type { HandlerDecl, Reply } from '../declare.ts';
import { MachineJsonCache } from '../render/cache.ts';
import { errorReply, textReply } from '../replies.ts';
import { ApiRouter } from '../router.ts';
import { parseQuery } from '../wire/body.ts';
import { parseMediaValue } from '../wire/mime-headers.ts';
import { BootResourcesHandler, type SpooledPart } from './boot-resources.ts';
import { HANDLERS } from './index.ts';
import { parseMultipartStream, type PartInfo, type PartSink } from './boot-resources-multipart.ts';

export interface AttachOptions {
  app: FastifyInstance;
  svc: ServiceContext;
  imagesDir: string;
  version: string;
  /** The handler list the server routes (for the fallback and the API hash); default: all. */
  handlers?: HandlerDecl[];
  /** Rescan / import-lease period (default 30 s). */
  tickMs?: number;
}

const BUFFERED_LIMIT = 64 * 1024 * 1024;
const FIELD_LIMIT = 1024 * 1024;

const first = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v);

function cookies(req: FastifyRequest): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i > 0) out[part.slice(0, i).trim()] = part.slice(i + 1).trim();
  }
  return out;
}

const originOf = (req: FastifyRequest) => `${req.protocol}://${req.headers.host ?? req.hostname}`;

async function readAll(body: Readable | undefined, limit: number): Promise<Buffer | null> {
  if (!body) return Buffer.alloc(0);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of body) {
    size += (c as Buffer).length;
    if (size > limit) return null;
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks);
}

/** Who is calling, from the request line and headers; a Reply when refused. */
async function caller(svc: ServiceContext, req: FastifyRequest, method: string, queryPairs: Array<[string, string]>): Promise<Actor | Reply> {
  const auth = await authenticate(svc, {
    method, url: originOf(req) + req.url, authorization: first(req.headers.authorization), queryPairs, bodyPairs: [], formEncoded: false,
    sessionId: cookies(req).sessionid,
  });
  if (auth.kind === 'refused') return auth.status === 401 ? { ...textReply(401, auth.message), headers: { 'WWW-Authenticate': 'OAuth realm="OAuth"' } } : textReply(auth.status, auth.message);
  if (auth.kind === 'anonymous') return { ...textReply(401, 'Authorization Error: authentication required.'), headers: { 'WWW-Authenticate': 'OAuth realm="OAuth"' } };
  if (auth.via === 'session' && first(req.headers['x-csrftoken']) !== auth.csrfToken) return textReply(403, 'CSRF Failed: CSRF token missing or incorrect.');
  if (auth.actor.isNode) return textReply(403, 'User is not allowed access to this API.');
  if (!auth.actor.isAdmin) return textReply(403, 'This method is reserved for admin users.');
  return auth.actor;
}

const isReply = (v: Actor | Reply): v is Reply => 'body' in v;
const noBody = async function* (): AsyncGenerator<Buffer> { /* a request without a body */ };

/** A spool for the `content` part; every spooled file is listed so leftovers are removed. */
function spoolSinks(svc: ServiceContext, spooled: SpooledFile[]) {
  return async (info: PartInfo): Promise<PartSink | null> => {
    const media = info.contentType === null ? '' : parseMediaValue(info.contentType).value;
    if (info.name !== 'content' || (info.filename === null && (media === '' || media.startsWith('text/')))) return null;
    const spool = await openSpool(imagesDirOf(svc));
    return {
      write: (chunk) => spool.write(chunk),
      async finish() {
        const f = await spool.finish();
        spooled.push(f);
        const part: SpooledPart = { name: info.name, filename: info.filename, contentType: info.contentType, data: Buffer.alloc(0), spooled: f };
        return part;
      },
      abort: () => spool.abort(),
    };
  };
}

export async function attachBootResources(o: AttachOptions): Promise<void> {
  const { app, svc } = o;
  const running = await startBootResources(svc, o.imagesDir, { tickMs: o.tickMs });
  app.addHook('onClose', async () => { await running.stop(); });
  const router = new ApiRouter(o.handlers ?? HANDLERS, svc, { version: o.version, machineCache: new MachineJsonCache() });
  const deps = { version: o.version, machineCache: new MachineJsonCache() };

  const send = async (reply: FastifyReply, r: Reply) => {
    const status = r.status ?? 200;
    reply.code(status).header('X-MAAS-API-Hash', router.description.hash);
    for (const [k, v] of Object.entries(r.headers ?? {})) reply.header(k, v);
    if (status === 204) return reply.send();
    return reply.type(r.contentType ?? 'text/plain; charset=utf-8').send(r.body);
  };

  const post = async (req: FastifyRequest, reply: FastifyReply) => {
    const body = req.body as Readable | undefined;
    const q = req.url.indexOf('?');
    let queryPairs: Array<[string, string]>;
    try { queryPairs = parseQuery(q < 0 ? '' : req.url.slice(q + 1)); } catch (err) { return send(reply, errorReply(err, svc)); }
    const contentType = first(req.headers['content-type']) ?? '';
    const multipart = contentType.toLowerCase().trimStart().startsWith('multipart/');
    if (!multipart || queryPairs.some(([k]) => k === 'op')) {
      const raw = await readAll(body, BUFFERED_LIMIT);
      if (!raw) return send(reply, textReply(413, `Request body is larger than ${BUFFERED_LIMIT} bytes.`));
      const d = await router.dispatch({ method: req.method, url: req.url, origin: originOf(req), headers: req.headers, body: raw, remoteAddress: req.ip, cookies: cookies(req) });
      return send(reply, d.reply);
    }
    const spooled: SpooledFile[] = [];
    try {
      const who = await caller(svc, req, 'POST', queryPairs);
      if (isReply(who)) return send(reply, who);
      imagesDirOf(svc);
      const form = await parseMultipartStream(body ?? noBody(), contentType, { sinkFor: spoolSinks(svc, spooled), maxInMemory: FIELD_LIMIT });
      const op = form.fields.find(([k]) => k === 'op')?.[1] || null;
      const action = BootResourcesHandler.actions.find((a) => a.method === 'POST' && a.op === op);
      if (!action) return send(reply, textReply(400, `Unrecognised signature: method=POST op=${op ?? 'None'}`));
      const args = buildArgs(action.params ?? [], [...queryPairs, ...form.fields.filter(([k]) => k !== 'op')], [...form.files]);
      const result = await action.run({
        svc, actor: who, user: who, path: {}, args, deps,
        req: { origin: originOf(req), headers: req.headers, remoteAddress: req.ip, json: undefined, files: form.files },
      });
      return send(reply, result as Reply);
    } catch (err) {
      return send(reply, errorReply(err, svc));
    } finally {
      for (const f of spooled) rmSync(f.path, { force: true });
    }
  };

  const put = async (req: FastifyRequest<{ Params: { id: string; fileId: string } }>, reply: FastifyReply) => {
    try {
      const q = req.url.indexOf('?');
      const who = await caller(svc, req, 'PUT', parseQuery(q < 0 ? '' : req.url.slice(q + 1)));
      if (isReply(who)) return send(reply, who);
      const length = Number(first(req.headers['content-length']) ?? '0');
      await uploadChunk(svc, who, req.params.id, req.params.fileId, Number.isSafeInteger(length) ? length : 0, (req.body as Readable | undefined) ?? noBody());
      return send(reply, textReply(200, 'OK'));
    } catch (err) {
      return send(reply, errorReply(err, svc));
    }
  };

  await app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', (_req, payload, done) => done(null, payload));
    scope.post('/MAAS/api/2.0/boot-resources/', post);
    scope.put('/MAAS/api/2.0/boot-resources/:id/upload/:fileId/', put);
  });
}
