/**
 * The MAAS API dispatcher: path → handler (from the declarations), op → action, caller → permissions,
 * parameters → validated Args, result → MAAS's wire form. Framework-free: the HTTP server hands it a
 * plain request and writes back the Reply, so the whole edge is testable (and fuzzable) in-process.
 */
import { Readable } from 'node:stream';
import { PlinthError } from '../../domain/errors.ts';
import type { Actor, ServiceContext } from '../../services/context.ts';
import type { MachineVersionRow } from '../../services/identity/tokens.ts';
import { buildArgs } from './args.ts';
import { authenticate } from './auth.ts';
import { API_PREFIX, type ActionCtx, type ActionDecl, type EdgeDeps, type HandlerDecl, type Method, type Reply } from './declare.ts';
import { buildDescription, type Description } from './describe.ts';
import { errorReply, jsonReply, textReply } from './replies.ts';
import { parseQuery, parseRequestBody } from './wire/body.ts';

export interface ApiRequest {
  method: string;
  /** Path and query as received, e.g. `/MAAS/api/2.0/machines/?op=allocate`. */
  url: string;
  origin: string;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer | undefined;
  remoteAddress: string;
  cookies: Record<string, string>;
}

interface Route { handler: HandlerDecl; regex: RegExp; names: string[] }

export interface Dispatched { reply: Reply; handlerName: string; op: string | null }

/**
 * Actions that take their machine's version from the authentication round trip (the single-machine
 * GET: one statement per request instead of two), with the path parameter naming the machine.
 */
const PRELOAD_MACHINE = new WeakMap<ActionDecl, string>();
const PRELOADED = new WeakMap<ActionCtx, MachineVersionRow | null>();

export function preloadMachineVersion(action: ActionDecl, pathParam: string): ActionDecl {
  PRELOAD_MACHINE.set(action, pathParam);
  return action;
}

/**
 * The machine version row read with the caller's OAuth credential: null when no machine has that
 * system_id, undefined when it was not read (anonymous or session caller). Not filtered by visibility.
 */
export const preloadedMachineVersion = (ctx: ActionCtx) => PRELOADED.get(ctx);

const header = (h: ApiRequest['headers'], name: string) => {
  const v = h[name];
  return Array.isArray(v) ? v[0] : v;
};

export class ApiRouter {
  readonly description: Description;
  private readonly routes: Route[];

  constructor(private readonly handlers: HandlerDecl[], private readonly svc: ServiceContext, private readonly deps: EdgeDeps) {
    this.description = buildDescription(handlers);
    this.routes = handlers.flatMap((h) => [h.path, ...(h.aliases ?? [])].map((path) => compile(h, path)));
  }

  async dispatch(req: ApiRequest): Promise<Dispatched> {
    let handlerName = 'unknown';
    let op: string | null = null;
    try {
      const qIndex = req.url.indexOf('?');
      const rawPath = qIndex < 0 ? req.url : req.url.slice(0, qIndex);
      const rawQuery = qIndex < 0 ? '' : req.url.slice(qIndex + 1);
      let path: string;
      try { path = decodeURIComponent(rawPath); } catch { return { reply: textReply(400, 'Bad Request: malformed path.'), handlerName, op }; }
      const queryPairs = parseQuery(rawQuery);
      const contentType = header(req.headers, 'content-type');
      const body = parseRequestBody(contentType, req.method === 'GET' ? undefined : req.body);
      const rel = path.slice(API_PREFIX.length);
      let pathOp: string | null = null;
      let m = this.match(rel);
      if (!m) {
        const opMatch = /^(.+\/)op-([^/]+)$/.exec(rel);
        if (opMatch) { m = this.match(opMatch[1]); pathOp = opMatch[2]; }
      }
      if (!m) return { reply: textReply(404, `Unknown API endpoint: ${path}.`), handlerName, op };
      const { handler, params } = m;
      handlerName = handler.name;
      const method = req.method.toUpperCase() as Method;
      op = queryPairs.find(([k]) => k === 'op')?.[1] ?? body.fields.find(([k]) => k === 'op')?.[1] ?? pathOp;
      if (op === '') op = null;

      const authAction = handler.anonOnly ? undefined : findAction(handler.actions, method, op);
      const anonAction = handler.anonOnly ? findAction(handler.actions, method, op) : handler.anonymous && findAction(handler.anonymous.actions, method, op);
      if (!authAction && !anonAction) {
        const methods = new Set([...handler.actions, ...(handler.anonymous?.actions ?? [])].map((a) => a.method));
        if (!methods.has(method)) return { reply: { ...textReply(405, `Method ${method} is not allowed here.`), headers: { Allow: [...methods].sort().join(', ') } }, handlerName, op };
        return { reply: textReply(400, `Unrecognised signature: method=${method} op=${op ?? 'None'}`), handlerName, op };
      }

      let actor: Actor | null = null;
      let action: ActionDecl;
      let preloaded: MachineVersionRow | null | undefined;
      if (handler.anonOnly) {
        action = anonAction!;
      } else {
        const machineParam = authAction && PRELOAD_MACHINE.get(authAction);
        const auth = await authenticate(this.svc, {
          method, url: req.origin + req.url, authorization: header(req.headers, 'authorization'),
          queryPairs, bodyPairs: body.fields, formEncoded: (contentType ?? '').toLowerCase().startsWith('application/x-www-form-urlencoded'),
          sessionId: req.cookies.sessionid, alsoMachine: machineParam ? params[machineParam] : undefined,
        });
        if (auth.kind === 'refused') return { reply: unauthorized(auth.status, auth.message), handlerName, op };
        if (auth.kind === 'anonymous') {
          if (!anonAction) return { reply: unauthorized(401, 'Authorization Error: authentication required.'), handlerName, op };
          action = anonAction;
        } else {
          if (auth.via === 'session' && method !== 'GET' && header(req.headers, 'x-csrftoken') !== auth.csrfToken)
            return { reply: textReply(403, 'CSRF Failed: CSRF token missing or incorrect.'), handlerName, op };
          if (auth.actor.isNode) return { reply: textReply(403, 'User is not allowed access to this API.'), handlerName, op };
          actor = auth.actor;
          if (!authAction) return { reply: textReply(400, `Unrecognised signature: method=${method} op=${op ?? 'None'}`), handlerName, op };
          action = authAction;
          preloaded = auth.machine;
          if ((action.admin || handler.adminOnly) && !actor.isAdmin) return { reply: textReply(403, 'This method is reserved for admin users.'), handlerName, op };
        }
      }
      const args = buildArgs(action.params ?? [], [...queryPairs.filter(([k]) => k !== 'op'), ...body.fields.filter(([k]) => k !== 'op')], [...body.files]);
      const ctx: ActionCtx = {
        svc: this.svc, actor, user: actor ?? ANONYMOUS, path: params, args, deps: this.deps,
        req: { origin: req.origin, headers: req.headers, remoteAddress: req.remoteAddress, json: body.json, files: body.files },
      };
      if (preloaded !== undefined) PRELOADED.set(ctx, preloaded);
      const result = await action.run(ctx);
      return { reply: toReply(result), handlerName, op };
    } catch (err) {
      return { reply: errorReply(err, this.svc), handlerName, op };
    }
  }

  private match(rel: string): { handler: HandlerDecl; params: Record<string, string> } | undefined {
    for (const r of this.routes) {
      const m = r.regex.exec(rel);
      if (m) return { handler: r.handler, params: Object.fromEntries(r.names.map((n, i) => [n, m[i + 1]])) };
    }
    return undefined;
  }
}

const ANONYMOUS: Actor = { id: -1, username: '', isAdmin: false };

function findAction(actions: ActionDecl[], method: Method, op: string | null) {
  return actions.find((a) => a.method === method && a.op === op);
}

function compile(handler: HandlerDecl, path: string): Route {
  const names: string[] = [];
  const source = path.replace(/[.*+?^${}()|[\]\\]/g, (c) => (c === '{' || c === '}' ? c : `\\${c}`))
    .replace(/\{(\w+)\}/g, (_, n: string) => { names.push(n); return `(${handler.paramPatterns?.[n] ?? '[^/]+'})`; });
  return { handler, names, regex: new RegExp(`^${source}$`) };
}

function unauthorized(status: number, message: string): Reply {
  const r = textReply(status, message);
  return status === 401 ? { ...r, headers: { 'WWW-Authenticate': 'OAuth realm="OAuth"' } } : r;
}

function isReply(v: unknown): v is Reply {
  return typeof v === 'object' && v !== null && 'body' in v && (typeof (v as Reply).body === 'string' || Buffer.isBuffer((v as Reply).body) || (v as Reply).body instanceof Readable) && Object.keys(v).every((k) => ['status', 'contentType', 'body', 'headers'].includes(k));
}

function toReply(result: unknown): Reply {
  if (isReply(result)) return result;
  return jsonReply(result);
}

export { PlinthError };
