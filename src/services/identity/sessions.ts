/** Web UI sessions: username/password login, a session id cookie, and a CSRF token bound to it. */
import { randomBytes } from 'node:crypto';
import { sessionsRepo, usersRepo, type UserRow } from '../../store/repos/users.ts';
import { configRepo } from '../../store/repos/config.ts';
import { SETTINGS } from '../../domain/config.ts';
import type { ServiceContext } from '../context.ts';
import { verifyPassword } from './passwords.ts';

export async function checkPassword(ctx: ServiceContext, username: string, password: string): Promise<UserRow | undefined> {
  const user = await usersRepo.byUsername(ctx.db, username);
  // Verify against a fixed hash when the user is unknown so timing does not reveal which usernames exist.
  const ok = await verifyPassword(password, user?.password_hash || DUMMY_HASH);
  return user && ok && user.is_active ? user : undefined;
}
const DUMMY_HASH = 'scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=';

export async function startSession(ctx: ServiceContext, user: UserRow) {
  const lengthSeconds = Number((await configRepo.get(ctx.db, 'session_length')) ?? SETTINGS.session_length.default);
  const session = {
    id: randomBytes(24).toString('base64url'),
    user_id: user.id,
    csrf_token: randomBytes(24).toString('base64url'),
    expires: new Date(ctx.now().getTime() + lengthSeconds * 1000),
  };
  await sessionsRepo.insert(ctx.db, session);
  await usersRepo.touchLogin(ctx.db, user.id);
  return session;
}

export async function findSession(ctx: ServiceContext, id: string) {
  const s = await sessionsRepo.get(ctx.db, id);
  if (!s) return undefined;
  const user = await usersRepo.byId(ctx.db, s.user_id);
  return user && user.is_active ? { session: s, user } : undefined;
}

export async function endSession(ctx: ServiceContext, id: string) {
  await sessionsRepo.delete(ctx.db, id);
}
