/**
 * `POST status/<system_id>`: cloud-init's and curtin's reporting webhook. The header must carry an
 * oauth_token (else 401, empty body) and the body must be a valid status message (else 400); then the
 * answer is 204 whatever happens. As in MAAS the credentials are checked while processing: a message
 * whose credentials do not verify as this machine's node key is dropped.
 */
import type { ServiceContext } from '../../services/context.ts';
import { statusEvent } from '../../services/metadata/webhook.ts';
import type { Reply } from '../maas/declare.ts';
import { textReply } from '../maas/replies.ts';
import { parseStatusEvent } from './inputs.ts';
import { authenticateNode, tokenOfHeader } from './node-auth.ts';

export async function statusWebhook(svc: ServiceContext, systemId: string, raw: { method: string; url: string; origin: string; body: Buffer | undefined },
  authorization: string | undefined): Promise<Reply> {
  if (!tokenOfHeader(authorization)) return { status: 401, body: '', headers: { 'WWW-Authenticate': 'OAuth realm="OAuth"' } };
  const event = parseStatusEvent(raw.body);
  if (!event.ok) return textReply(400, event.message);
  const auth = await authenticateNode(svc, { method: 'POST', url: raw.url, origin: raw.origin, authorization, queryPairs: [], bodyPairs: [], formEncoded: false });
  if (auth.kind === 'node' && auth.node.system_id === systemId) await statusEvent(svc, auth.node.id, event.value);
  else svc.log.info({ system_id: systemId }, 'status message dropped: its credentials are not this machine\'s node key');
  return { status: 204, body: '' };
}
