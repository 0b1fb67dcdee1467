import { createUser, deleteUser, getUser, listUsers } from '../../../services/identity/users.ts';
import { forbidden } from '../../../domain/errors.ts';
import { crud, op, p, type HandlerDecl } from '../declare.ts';
import { noContent } from '../replies.ts';
import { renderUser } from '../render/common.ts';

export const UsersHandler: HandlerDecl = {
  name: 'UsersHandler',
  path: '/users/',
  doc: 'Manage the user accounts of this MAAS.',
  actions: [
    crud.read('List users', async ({ svc }) => (await listUsers(svc)).map(renderUser)),
    crud.create('Create a MAAS user account', async ({ svc, user, args }) => {
      if (!user.isAdmin) throw forbidden();
      return renderUser(await createUser(svc, {
        username: args.str('username')!, email: args.str('email') ?? '', password: args.str('password')!,
        isSuperuser: args.bool('is_superuser') ?? false,
      }));
    }, [
      p.str('username', 'Identifier-style username for the new user.', true),
      p.str('email', 'Email address for the new user.', true),
      p.str('password', 'Password for the new user.', true),
      p.bool('is_superuser', 'Whether the new user is to be an administrator.', true),
    ], true),
    op('GET', 'whoami', 'Retrieve logged-in user', async ({ svc, user }) => renderUser(await getUser(svc, user.username))),
  ],
};

export const UserHandler: HandlerDecl = {
  name: 'UserHandler',
  path: '/users/{username}/',
  doc: 'Manage a user account.',
  actions: [
    crud.read('Retrieve user details', async ({ svc, path }) => renderUser(await getUser(svc, path.username))),
    crud.delete('Delete a user', async ({ svc, user, path, args }) => {
      await deleteUser(svc, user, path.username, args.str('transfer_resources_to'));
      return noContent;
    }, [p.str('transfer_resources_to', 'An optional username. If supplied, the allocated resources of the user being deleted will be transferred to this user.')], true),
  ],
};
