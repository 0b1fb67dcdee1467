/**
 * Who is calling: OAuth 1.0a (header, or query/body parameters), else a web-UI session cookie, else
 * nobody. OAuth rules as MAAS applies them: PLAINTEXT or HMAC-SHA1, a 300 s timestamp window (the
 * future is not refused), nonces never reused, and credentials that are present but bad never fall
 * back to anonymous.
 */
import type { Actor, ServiceContext } from '../../services/context.ts';
import { findCredentialUsingNonce, type MachineVersionRow } from '../../services/identity/tokens.ts';
import { findSession } from '../../services/identity/sessions.ts';
import { extractOAuthParams, parseAuthorizationHeader, verifySignature } from './wire/oauth.ts';

export const TIMESTAMP_WINDOW = 300;

export type AuthOutcome =
  | { kind: 'anonymous' }
  | { kind: 'actor'; actor: Actor; via: 'oauth' | 'session'; csrfToken?: string; machine?: MachineVersionRow | null }
  | { kind: 'refused'; status: 400 | 401 | 403; message: string };

export interface AuthInput {
  method: string;
  url: string; // absolute, as the client signed it
  authorization: string | undefined;
  queryPairs: Array<[string, string]>;
  bodyPairs: Array<[string, string]>;
  formEncoded: boolean;
  sessionId: string | undefined;
  /** A system_id whose version row to read along with an OAuth credential (one statement, not two). */
  alsoMachine?: string;
}

function oauthFromPairs(pairs: Array<[string, string]>): Record<string, string> | null {
  const o: Record<string, string> = {};
  for (const [k, v] of pairs) if (k.startsWith('oauth_')) o[k] = v;
  return Object.keys(o).length ? o : null;
}

export async function authenticate(svc: ServiceContext, input: AuthInput): Promise<AuthOutcome> {
  const raw = parseAuthorizationHeader(input.authorization) ?? oauthFromPairs(input.queryPairs) ?? oauthFromPairs(input.bodyPairs);
  if (!raw) {
    if (input.sessionId) {
      const s = await findSession(svc, input.sessionId);
      if (s) return { kind: 'actor', via: 'session', csrfToken: s.session.csrf_token, actor: { id: s.user.id, username: s.user.username, isAdmin: s.user.is_superuser } };
    }
    return { kind: 'anonymous' };
  }
  const o = extractOAuthParams(raw);
  if (!o) return { kind: 'anonymous' }; // incomplete OAuth "fails quietly", as MAAS does
  if (!/^\d{1,12}$/.test(o.timestamp)) return { kind: 'refused', status: 400, message: 'Bad Request: Invalid timestamp.' };
  if (o.version !== undefined && o.version !== '1.0') return { kind: 'refused', status: 401, message: `Authorization Error: OAuth version ${o.version} not supported.` };
  const cred = await findCredentialUsingNonce(svc.db, o.token, o.nonce, Number(o.timestamp), input.alsoMachine);
  if (!cred) return { kind: 'refused', status: 401, message: `Authorization Error: 'Invalid access token: ${o.token}'` };
  if (cred.token.consumer_key !== o.consumerKey) return { kind: 'refused', status: 401, message: 'Authorization Error: Invalid API key.' };
  const ok = verifySignature({
    method: input.method, url: input.url, bodyParams: input.formEncoded ? input.bodyPairs : [],
    oauth: raw, consumerSecret: '', tokenSecret: cred.token.token_secret,
  });
  if (!ok) return { kind: 'refused', status: 401, message: 'Authorization Error: Invalid signature.' };
  const now = Math.floor(svc.now().getTime() / 1000);
  const ts = Number(o.timestamp);
  if (now - ts > TIMESTAMP_WINDOW)
    return { kind: 'refused', status: 401, message: `Authorization Error: 'Expired timestamp: given ${ts} and now ${now} has a greater difference than threshold ${TIMESTAMP_WINDOW}'` };
  if (!cred.fresh)
    return { kind: 'refused', status: 401, message: `Authorization Error: 'Nonce already used: ${o.nonce}'` };
  if (cred.token.kind === 'node') return { kind: 'actor', via: 'oauth', actor: { id: -1, username: 'maas-init-node', isAdmin: false, isNode: true, nodeId: cred.token.node_id ?? undefined } };
  if (!cred.user || !cred.user.is_active) return { kind: 'refused', status: 403, message: 'User is not allowed access to this API.' };
  const actor = { id: cred.user.id, username: cred.user.username, isAdmin: cred.user.is_superuser };
  return cred.machine === undefined ? { kind: 'actor', via: 'oauth', actor } : { kind: 'actor', via: 'oauth', actor, machine: cred.machine };
}
