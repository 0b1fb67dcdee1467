/** The routes under `<version>/` (and `curtin/<version>/`): anonymous ones first, then the node's own. */
import type { ServiceContext } from '../../services/context.ts';
import { buildInstallPlan } from '../../services/deploy/install-plan.ts';
import { metaDataIndex, metaDataItem } from '../../services/metadata/meta-data.ts';
import { setNetboot } from '../../services/metadata/netboot.ts';
import type { MetadataNode } from '../../services/metadata/node-view.ts';
import { enlistPreseed, nodePreseed } from '../../services/metadata/preseed.ts';
import { commissioningScriptsTar, maasScriptsTar } from '../../services/metadata/scripts-tar.ts';
import { signal } from '../../services/metadata/signal.ts';
import { hasUserData, userDataFor } from '../../services/metadata/user-data.ts';
import type { Reply } from '../maas/declare.ts';
import { jsonReply, textReply } from '../maas/replies.ts';
import type { FilePart } from '../maas/wire/multipart.ts';
import { parseSignal } from './inputs.ts';

export interface Route {
  svc: ServiceContext; method: string; op: string | null; sub: string; tree: 'plain' | 'curtin';
  origin: string; fields: Array<[string, string]>; files: FilePart[];
}

const text = (body: string) => textReply(200, body);
const OK = text('OK');
const badSignature = (r: Route) => textReply(400, `Unrecognised signature: method=${r.method} op=${r.op ?? 'None'}`);
const notAllowed = (r: Route, allow: string) => ({ ...textReply(405, `Method ${r.method} is not allowed here.`), headers: { Allow: allow } });
const tar = (t: Buffer | null): Reply => (t ? { status: 200, contentType: 'application/x-tar', body: t } : { status: 204, body: '' });

/** Routes that never take credentials (by-id and enlist-preseed); undefined for the rest. */
export function anonymousVersionRoute(r: Route): (() => Promise<Reply>) | undefined {
  const byId = /^by-id\/([^/]+)\/?$/.exec(r.sub);
  if (byId) {
    return async () => {
      if (r.method === 'GET' && r.op === 'get_preseed')
        return { status: 200, contentType: 'text/plain; charset=utf-8', body: await nodePreseed(r.svc, byId[1], r.origin) };
      if (r.method === 'POST' && r.op === 'netboot_off') { await setNetboot(r.svc, byId[1], false); return OK; }
      return r.method === 'GET' || r.method === 'POST' ? badSignature(r) : notAllowed(r, 'GET, POST');
    };
  }
  if (/^enlist-preseed\/?$/.test(r.sub)) {
    return async () => {
      if (r.method !== 'GET') return notAllowed(r, 'GET');
      return r.op === 'get_enlist_preseed' ? { status: 200, contentType: 'text/plain; charset=utf-8', body: enlistPreseed(r.origin) } : badSignature(r);
    };
  }
  return undefined;
}

async function versionIndex(r: Route, node: MetadataNode): Promise<Reply> {
  if (r.method === 'GET') {
    const items = ['maas-commissioning-scripts', 'meta-data'];
    if (await hasUserData(r.svc, node, r.tree)) items.push('user-data');
    return text(items.sort().join('\n'));
  }
  if (r.method !== 'POST') return notAllowed(r, 'GET, POST');
  switch (r.op) {
    case 'signal': {
      const input = parseSignal(r.fields, r.files);
      if (!input.ok) return textReply(400, input.message);
      await signal(r.svc, node.system_id, input.value);
      return OK;
    }
    case 'netboot_off': await setNetboot(r.svc, node.system_id, false); return OK;
    case 'netboot_on': await setNetboot(r.svc, node.system_id, true); return OK;
    default: return badSignature(r);
  }
}

/** Routes for an authenticated machine. */
export async function nodeVersionRoute(r: Route, node: MetadataNode): Promise<Reply> {
  if (r.sub === '') return versionIndex(r, node);
  if (r.method !== 'GET') return notAllowed(r, 'GET');
  if (r.sub === 'meta-data' || r.sub === 'meta-data/') return text((await metaDataIndex(r.svc, node)).join('\n'));
  const item = /^meta-data\/([^/]+)\/?$/.exec(r.sub)?.[1];
  if (item) {
    const v = await metaDataItem(r.svc, node, item);
    return v ? { status: 200, contentType: v.type, body: v.body } : textReply(404, `Unknown metadata attribute: ${item}`);
  }
  if (r.sub === 'user-data') {
    const data = await userDataFor(r.svc, node, r.tree);
    return data ? { status: 200, contentType: 'application/octet-stream', body: data } : textReply(404, 'No user data available for this node.');
  }
  if (/^maas-scripts\/?$/.test(r.sub)) return tar(await maasScriptsTar(r.svc, node));
  if (/^maas-commissioning-scripts\/?$/.test(r.sub)) return tar(await commissioningScriptsTar(r.svc, node));
  if (/^plinth\/install-plan\/?$/.test(r.sub)) return jsonReply(await buildInstallPlan(r.svc, node.system_id, r.origin));
  return textReply(404, `Unknown metadata path: ${r.sub}`);
}
