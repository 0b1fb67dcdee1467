/**
 * A machine's metadata credentials (MAAS's NodeKey): one OAuth token per machine, created the first time
 * anything asks for it (the preseed, get_token). The token has no user: the edge knows it as the
 * internal identity `maas-init-node`, which only the metadata service accepts.
 *
 * The key is replaced when the machine changes hands (a trigger on owner_id, migration 015) and when a
 * release starts, as MAAS clears its NodeKey when the owner changes: the system an owner deployed keeps
 * running for a while after release, and its cloud-init must neither read the next environment's data
 * nor have its late reports (a failed stage, a finished `modules-final`) taken for the erase
 * environment's.
 */
import { noMatch } from '../../domain/errors.ts';
import { nodesRepo } from '../../store/repos/machines.ts';
import { nodeKeysRepo } from '../../store/repos/metadata.ts';
import type { TokenRow } from '../../store/repos/users.ts';
import { randomKey, type Actor, type Queryable, type ServiceContext } from '../context.ts';

export interface NodeKey { consumer_key: string; token_key: string; token_secret: string }

const keyOf = (t: TokenRow): NodeKey => ({ consumer_key: t.consumer_key, token_key: t.token_key, token_secret: t.token_secret });

/** The node's key, created on demand (sizes as MAAS: 18-character keys, 32-character secret). */
export async function nodeKeyFor(q: Queryable, nodeId: number): Promise<NodeKey> {
  const have = await nodeKeysRepo.forNode(q, nodeId);
  if (have) return keyOf(have);
  return keyOf(await nodeKeysRepo.insertIfMissing(q, nodeId, { consumer_key: randomKey(18), token_key: randomKey(18), token_secret: randomKey(32) }));
}

/** Revokes the machine's key (in the caller's transaction); whatever boots next gets a new one. */
export function revokeNodeKey(q: Queryable, nodeId: number): Promise<unknown> {
  return nodeKeysRepo.revoke(q, nodeId);
}

/** `GET machines/<id>/?op=get_token` (admins): the machine's key. */
export async function machineToken(ctx: ServiceContext, actor: Actor, systemId: string): Promise<NodeKey> {
  const node = await nodesRepo.bySystemId(ctx.db, systemId);
  if (!node || node.node_type !== 0 || !actor.isAdmin) throw noMatch('Machine');
  return nodeKeyFor(ctx.db, node.id);
}
