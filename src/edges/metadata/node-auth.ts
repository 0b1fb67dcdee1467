/**
 * Which machine is calling: the request's OAuth credentials must verify exactly as on the API
 * (signature, timestamp window, nonce) and belong to a node key. No credentials → anonymous (for routes
 * with an enlistment variant) or 401; a valid key that is not a node's → 403, as MAAS answers.
 */
import type { ServiceContext } from '../../services/context.ts';
import { metadataNodeById, type MetadataNode } from '../../services/metadata/node-view.ts';
import { authenticate } from '../maas/auth.ts';
import type { Reply } from '../maas/declare.ts';
import { textReply } from '../maas/replies.ts';

export interface MetaRequest {
  method: string;
  /** Path and query as received. */
  url: string;
  origin: string;
  authorization: string | undefined;
  queryPairs: Array<[string, string]>;
  bodyPairs: Array<[string, string]>;
  formEncoded: boolean;
}

export type NodeAuth = { kind: 'node'; node: MetadataNode } | { kind: 'anonymous' } | { kind: 'refused'; reply: Reply };

export async function authenticateNode(svc: ServiceContext, req: MetaRequest): Promise<NodeAuth> {
  const auth = await authenticate(svc, {
    method: req.method, url: req.origin + req.url, authorization: req.authorization, queryPairs: req.queryPairs,
    bodyPairs: req.bodyPairs, formEncoded: req.formEncoded, sessionId: undefined,
  });
  if (auth.kind === 'anonymous') return { kind: 'anonymous' };
  if (auth.kind === 'refused') return { kind: 'refused', reply: unauthorized(auth.status, auth.message) };
  const node = auth.actor.isNode && auth.actor.nodeId !== undefined ? await metadataNodeById(svc.db, auth.actor.nodeId) : undefined;
  if (!node) return { kind: 'refused', reply: textReply(403, 'Not authenticated as a known node.') };
  return { kind: 'node', node };
}

export function unauthorized(status: number, message: string): Reply {
  const r = textReply(status, message);
  return status === 401 ? { ...r, headers: { 'WWW-Authenticate': 'OAuth realm="OAuth"' } } : r;
}

/** The oauth_token of an Authorization header, without verifying anything (the webhook's first check). */
export function tokenOfHeader(header: string | undefined): string | null {
  const m = /(?:^|[\s,])oauth_token\s*=\s*"?([^",\s]+)"?/.exec(header ?? '');
  if (!m) return null;
  try { return decodeURIComponent(m[1]); } catch { return null; }
}
