/**
 * The metadata service's URL space (maas-api-spec §5.1), framework-free like the API router: a plain
 * request in, a Reply out. Paths tolerate extra leading slashes (cloud-init adds them); versions are
 * `latest` and `2012-03-01`.
 */
import type { ServiceContext } from '../../services/context.ts';
import { agentUserData } from '../../services/metadata/agent-script.ts';
import { maasScriptsTar } from '../../services/metadata/scripts-tar.ts';
import type { Reply } from '../maas/declare.ts';
import { errorReply } from '../maas/replies.ts';
import { parseQuery, parseRequestBody } from '../maas/wire/body.ts';
import { ENLIST_META_DATA } from '../../services/metadata/meta-data.ts';
import { authenticateNode, type MetaRequest } from './node-auth.ts';
import { anonymousVersionRoute, nodeVersionRoute, type Route } from './version-routes.ts';
import { statusWebhook } from './webhook.ts';

export const METADATA_PREFIX = '/MAAS/metadata';
export const VERSIONS = ['latest', '2012-03-01'];

export interface RawRequest {
  method: string; url: string; origin: string; headers: Record<string, string | string[] | undefined>; body: Buffer | undefined;
}

const header = (h: RawRequest['headers'], name: string) => {
  const v = h[name];
  return Array.isArray(v) ? v[0] : v;
};
const text = (body: string, status = 200): Reply => ({ status, contentType: 'text/plain; charset=utf-8', body });
const octets = (body: Buffer): Reply => ({ status: 200, contentType: 'application/octet-stream', body });
const INDEX = text('2012-03-01\nlatest');

/** The enlistment tree: a machine not known yet reads fixed meta-data and the agent hand-over. */
function enlistRoute(sub: string): Reply {
  if (sub === '') return text('meta-data\nuser-data');
  if (sub === 'meta-data' || sub === 'meta-data/') return text('instance-id\nlocal-hostname');
  const item = /^meta-data\/([^/]+)$/.exec(sub)?.[1];
  if (item === 'public-keys') return text('');
  if (item && ENLIST_META_DATA[item]) return text(ENLIST_META_DATA[item]);
  if (sub === 'user-data') return octets(agentUserData());
  return text(`Unknown metadata path: ${sub}`, 404);
}

export async function dispatchMetadata(svc: ServiceContext, raw: RawRequest): Promise<Reply> {
  try {
    const qIndex = raw.url.indexOf('?');
    const rawPath = qIndex < 0 ? raw.url : raw.url.slice(0, qIndex);
    let path: string;
    try { path = decodeURIComponent(rawPath); } catch { return text('Bad Request: malformed path.', 400); }
    const rel = path.slice(METADATA_PREFIX.length).replace(/^\/+/, '');
    const method = raw.method.toUpperCase();

    if (rel === '') return INDEX;
    const status = /^status\/([^/]+)\/?$/.exec(rel);
    if (status) {
      if (method !== 'POST') return { ...text(`Method ${method} is not allowed here.`, 405), headers: { Allow: 'POST' } };
      return await statusWebhook(svc, status[1], raw, header(raw.headers, 'authorization'));
    }
    let tree: 'plain' | 'curtin' | 'enlist' = 'plain';
    let rest = rel;
    const prefixed = /^(curtin|enlist)(?:\/+|$)(.*)$/.exec(rel);
    if (prefixed) { tree = prefixed[1] as 'curtin' | 'enlist'; rest = prefixed[2]; }
    if (rest === '') return INDEX;
    const slash = rest.indexOf('/');
    const version = slash < 0 ? rest : rest.slice(0, slash);
    const sub = slash < 0 ? '' : rest.slice(slash + 1);
    if (!VERSIONS.includes(version)) return text(`Unknown metadata version: ${version}`, 404);
    if (tree === 'enlist') return method === 'GET' ? enlistRoute(sub) : text(`Method ${method} is not allowed here.`, 405);

    const queryPairs = parseQuery(qIndex < 0 ? '' : raw.url.slice(qIndex + 1));
    const contentType = header(raw.headers, 'content-type');
    const body = parseRequestBody(contentType, method === 'GET' ? undefined : raw.body);
    const op = queryPairs.find(([k]) => k === 'op')?.[1] ?? body.fields.find(([k]) => k === 'op')?.[1] ?? null;
    const route: Route = { svc, method, op: op || null, sub, tree, origin: raw.origin, fields: body.fields, files: body.files };

    const anon = anonymousVersionRoute(route);
    if (anon) return await anon();
    const req: MetaRequest = {
      method, url: raw.url, origin: raw.origin, authorization: header(raw.headers, 'authorization'), queryPairs, bodyPairs: body.fields,
      formEncoded: (contentType ?? '').toLowerCase().startsWith('application/x-www-form-urlencoded'),
    };
    const auth = await authenticateNode(svc, req);
    if (auth.kind === 'refused') return auth.reply;
    if (auth.kind === 'anonymous') {
      // Anonymous variants of the version tree: enlistment reads these before it has credentials.
      if (sub === '' && method === 'GET') return text('meta-data\nuser-data');
      if (sub === 'user-data' && method === 'GET') return octets(agentUserData());
      if (/^maas-scripts\/?$/.test(sub) && method === 'GET') return tarReply(await maasScriptsTar(svc, null));
      return { ...text('Authorization Error: authentication required.', 401), headers: { 'WWW-Authenticate': 'OAuth realm="OAuth"' } };
    }
    return await nodeVersionRoute(route, auth.node);
  } catch (err) {
    // Malformed bodies and refused use cases become MAAS's 4xx texts; anything else is logged as a 500.
    return errorReply(err, svc);
  }
}

export function tarReply(tar: Buffer | null): Reply {
  return tar ? { status: 200, contentType: 'application/x-tar', body: tar } : { status: 204, body: '' };
}
