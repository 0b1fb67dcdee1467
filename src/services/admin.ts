/** Operator commands that run on the region host (`plinth createadmin`, `plinth apikey`). */
import { badRequest } from '../domain/errors.ts';
import { tokensRepo, usersRepo } from '../store/repos/users.ts';
import type { ServiceContext } from './context.ts';
import { importKeysText } from './identity/sshkeys.ts';
import { createToken, formatKey } from './identity/tokens.ts';
import { createUser } from './identity/users.ts';

export async function createAdmin(ctx: ServiceContext, a: { username: string; password: string; email: string; sshKeys?: string }) {
  if (!a.username || !a.password) throw badRequest('createadmin needs --username and --password.');
  const user = await createUser(ctx, { username: a.username, email: a.email, password: a.password, isSuperuser: true });
  if (a.sshKeys) await importKeysText(ctx, { id: user.id, username: user.username, isAdmin: true }, a.sshKeys, null);
  const [token] = await tokensRepo.forUser(ctx.db, user.id);
  return { username: user.username, apiKey: formatKey(token) };
}

export async function apiKeys(ctx: ServiceContext, a: { username: string; generate?: boolean; delete?: string; name?: string }) {
  const user = await usersRepo.byUsername(ctx.db, a.username);
  if (!user) throw badRequest(`No user named '${a.username}'.`);
  if (a.delete) {
    const tk = a.delete.split(':').length === 3 ? a.delete.split(':')[1] : a.delete;
    const t = await tokensRepo.byTokenKey(ctx.db, tk);
    if (!t || t.user_id !== user.id) throw badRequest('No such API key for this user.');
    await tokensRepo.delete(ctx.db, t.id);
    return [];
  }
  if (a.generate) return [{ key: formatKey(await createToken(ctx.db, user.id, a.name ?? '')), name: a.name ?? '' }];
  return (await tokensRepo.forUser(ctx.db, user.id)).map((t) => ({ key: formatKey(t), name: t.name }));
}
