/** API keys in MAAS form (consumer_key:token_key:token_secret, consumer secret empty). */
import { badRequest, notFound } from '../../domain/errors.ts';
import { tokensRepo, type TokenRow, type UserRow } from '../../store/repos/users.ts';
import type { MachineVersionRow } from '../../store/repos/machines.ts';
import { randomKey, type Actor, type Queryable, type ServiceContext } from '../context.ts';

export type { MachineVersionRow };

export const formatKey = (t: Pick<TokenRow, 'consumer_key' | 'token_key' | 'token_secret'>) =>
  `${t.consumer_key}:${t.token_key}:${t.token_secret}`;

export async function createToken(q: Queryable, userId: number, name = ''): Promise<TokenRow> {
  return tokensRepo.insert(q, {
    user_id: userId, node_id: null, kind: 'user', name,
    consumer_key: randomKey(18), token_key: randomKey(18), token_secret: randomKey(32),
  });
}

/** python-libmaas login: the key named `consumer`, else the first key, else a new one. */
export async function tokenForLogin(ctx: ServiceContext, userId: number, consumer?: string): Promise<TokenRow> {
  const tokens = await tokensRepo.forUser(ctx.db, userId);
  return (consumer ? tokens.find((t) => t.name === consumer) : tokens[0]) ?? createToken(ctx.db, userId, consumer ?? '');
}

export function listTokens(ctx: ServiceContext, actor: Actor) {
  return tokensRepo.forUser(ctx.db, actor.id);
}

async function ownToken(q: Queryable, actor: Actor, keyOrToken: string): Promise<TokenRow> {
  const parts = keyOrToken.split(':');
  const tokenKey = parts.length === 3 ? parts[1] : keyOrToken;
  const t = await tokensRepo.byTokenKey(q, tokenKey);
  if (!t || t.user_id !== actor.id || t.kind !== 'user') throw notFound(`No API token matches the given key.`);
  return t;
}

export async function deleteToken(ctx: ServiceContext, actor: Actor, tokenKey: string) {
  const t = await ownToken(ctx.db, actor, tokenKey);
  await tokensRepo.delete(ctx.db, t.id);
}

export async function renameToken(ctx: ServiceContext, actor: Actor, token: string, name: string) {
  if (!name.trim()) throw badRequest('name: This field is required.');
  const t = await ownToken(ctx.db, actor, token);
  await tokensRepo.rename(ctx.db, t.id, name);
}

/** A token and what authentication needs of its user (the user's other columns are never loaded on this path). */
export interface Credential { token: TokenRow; user: Pick<UserRow, 'id' | 'username' | 'is_superuser' | 'is_active'> | undefined }

/**
 * The credential of a token key with the request's nonce recorded; `fresh` false means a replay.
 * `alsoMachine`: a system_id whose version row to read in the same statement (`machine`, null when no
 * such machine; not yet filtered by what the caller may see).
 */
export async function findCredentialUsingNonce(q: Queryable, tokenKey: string, nonce: string, ts: number, alsoMachine?: string):
  Promise<(Credential & { fresh: boolean; machine?: MachineVersionRow | null }) | undefined> {
  const row = await tokensRepo.credentialUsingNonce(q, tokenKey, nonce, ts, alsoMachine);
  if (!row) return undefined;
  const { username, is_superuser, is_active, fresh, machine, ...token } = row;
  const user = token.user_id !== null && username !== null ? { id: token.user_id, username, is_superuser: is_superuser === true, is_active: is_active === true } : undefined;
  return alsoMachine === undefined ? { token, user, fresh } : { token, user, fresh, machine: machine ?? null };
}

/**
 * Forgets nonces older than twice the timestamp window (their requests are refused as expired
 * anyway). Run by the region's housekeeping, never on a request's path: it kept the API's p99 up.
 */
export async function pruneNonces(ctx: ServiceContext, windowSeconds: number) {
  await tokensRepo.pruneNonces(ctx.db, Math.floor(ctx.now().getTime() / 1000) - windowSeconds * 2);
}
