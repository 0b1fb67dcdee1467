import { badRequest, conflict, forbidden, invalid, noMatch } from '../../domain/errors.ts';
import { usersRepo, type UserRow } from '../../store/repos/users.ts';
import type { Actor, ServiceContext } from '../context.ts';
import { hashPassword } from './passwords.ts';
import { createToken } from './tokens.ts';

const USERNAME = /^[\w.@+-]{1,150}$/;
const EMAIL = /^[^\s@]+@[^\s@]+$/;

export interface NewUser { username: string; email: string; password: string; isSuperuser: boolean }

/** Creates a user and its first API key (as MAAS does). */
export async function createUser(ctx: ServiceContext, u: NewUser): Promise<UserRow> {
  const errors: Record<string, string[]> = {};
  if (!USERNAME.test(u.username)) errors.username = ['Enter a valid username: 150 characters or fewer; letters, digits and @/./+/-/_ only.'];
  if (u.email && !EMAIL.test(u.email)) errors.email = ['Enter a valid email address.'];
  if (u.password.length < 1) errors.password = ['This field is required.'];
  if (Object.keys(errors).length) throw invalid(errors);
  const hash = await hashPassword(u.password);
  return ctx.db.tx(async (q) => {
    if (await usersRepo.byUsername(q, u.username)) throw invalid({ username: ['A user with that username already exists.'] });
    if (u.email && (await q.query('select 1 from users where lower(email) = lower($1)', [u.email])).length)
      throw invalid({ email: ['User with this email address already exists.'] });
    const user = await usersRepo.insert(q, { username: u.username, email: u.email, password_hash: hash, is_superuser: u.isSuperuser });
    await createToken(q, user.id);
    return user;
  });
}

export const listUsers = (ctx: ServiceContext) => usersRepo.list(ctx.db);
export const userCount = (ctx: ServiceContext) => usersRepo.count(ctx.db);

export async function getUser(ctx: ServiceContext, username: string): Promise<UserRow> {
  const u = await usersRepo.byUsername(ctx.db, username);
  if (!u) throw noMatch('User');
  return u;
}

export async function deleteUser(ctx: ServiceContext, actor: Actor, username: string, transferTo?: string) {
  if (!actor.isAdmin) throw forbidden();
  await ctx.db.tx(async (q) => {
    const u = await usersRepo.byUsername(q, username);
    if (!u) throw noMatch('User');
    if (u.id === actor.id) throw badRequest('You cannot delete your own account.');
    const owned = (await q.query<{ n: number }>('select count(*)::int as n from nodes where owner_id = $1', [u.id]))[0].n;
    if (owned && !transferTo)
      throw conflict(`Cannot delete user ${username}: ${owned} node(s) are still allocated to it. Release them or pass transfer_resources_to.`);
    if (owned && transferTo) {
      const to = await usersRepo.byUsername(q, transferTo);
      if (!to) throw badRequest(`transfer_resources_to: no user named '${transferTo}'.`);
      await q.query('update nodes set owner_id = $2 where owner_id = $1', [u.id, to.id]);
    }
    await usersRepo.delete(q, u.id);
  });
}

export async function setPassword(ctx: ServiceContext, username: string, password: string) {
  const u = await getUser(ctx, username);
  await usersRepo.setPassword(ctx.db, u.id, await hashPassword(password));
}
