/**
 * `describe/`: MAAS's API description, derived from the handler declarations. Shape and ordering as MAAS
 * emits it (resources sorted by name, actions sorted by name, classic `:param` docs), plus a stable hash
 * that also goes out as `X-MAAS-API-Hash` on every API response.
 */
import { createHash } from 'node:crypto';
import { API_PREFIX, type ActionDecl, type HandlerDecl } from './declare.ts';

/** Code-point order, as Python's sorted() orders MAAS's names (not locale order). */
const byCodePoint = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

const TYPE_NAMES = { string: 'unicode', strings: 'unicode', int: 'int', float: 'float', bool: 'boolean', file: 'file' } as const;

function actionDoc(a: ActionDecl): string {
  const params = (a.params ?? []).filter((s) => !/^\{.*\}$/.test(s.name));
  if (!params.length) return a.doc;
  const lines = params.map((s) =>
    `:param ${s.name}: ${s.required ? 'Required' : 'Optional'}. ${s.doc}\n:type ${s.name}: ${TYPE_NAMES[s.type]}`);
  return `${a.doc}\n\n${lines.join('\n\n')}`;
}

const pathParams = (path: string) => [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);

interface DescribedHandler { name: string; doc: string; params: string[]; path: string; actions: object[] }

function describeHandler(h: Omit<HandlerDecl, 'path' | 'anonymous'>, path: string): DescribedHandler {
  return {
    name: h.name,
    doc: h.doc,
    params: pathParams(path),
    path: API_PREFIX + path,
    actions: [...h.actions]
      .sort((x, y) => byCodePoint(x.name, y.name))
      .map((a) => ({ name: a.name, method: a.method, op: a.op, restful: a.op === null, doc: actionDoc(a) })),
  };
}

export interface Description {
  doc: string; hash: string;
  resources: Array<{ name: string; anon: DescribedHandler | null; auth: DescribedHandler | null }>;
  handlers: DescribedHandler[];
}

function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object') return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`).join(',')}}`;
  return JSON.stringify(v);
}

export function buildDescription(handlers: HandlerDecl[]): Description {
  const resources = handlers.map((h) => {
    const main = describeHandler(h, h.path);
    if (h.anonOnly) return { name: h.name, anon: main, auth: null };
    const anon = h.anonymous ? describeHandler(h.anonymous, h.path) : null;
    return { name: h.name, anon, auth: main };
  }).sort((a, b) => byCodePoint(a.name, b.name));
  const handlersOut = [
    ...resources.flatMap((r) => (r.anon ? [r.anon] : [])),
    ...resources.flatMap((r) => (r.auth ? [r.auth] : [])),
  ];
  const body = { doc: 'MAAS API', resources, handlers: handlersOut };
  const hash = createHash('sha1').update(canonical(body)).digest('hex');
  return { ...body, hash };
}

/** The description for one request: adds absolute `uri`s built from the request's scheme and host. */
export function describeFor(d: Description, origin: string): string {
  const withUri = (h: DescribedHandler | null) => (h ? { ...h, uri: origin + h.path } : null);
  const sorted = (o: Record<string, unknown>) => Object.fromEntries(Object.keys(o).sort().map((k) => [k, o[k]]));
  const out = {
    doc: d.doc,
    handlers: d.handlers.map((h) => sorted(withUri(h)!)),
    hash: d.hash,
    resources: d.resources.map((r) => sorted({ anon: r.anon && sorted(withUri(r.anon)!), auth: r.auth && sorted(withUri(r.auth)!), name: r.name })),
  };
  return JSON.stringify(out);
}
