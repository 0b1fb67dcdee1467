import { createToken, deleteToken, formatKey, listTokens, renameToken } from '../../../services/identity/tokens.ts';
import { op, p, type HandlerDecl } from '../declare.ts';
import { noContent } from '../replies.ts';
import { textReply } from '../replies.ts';

export const AccountHandler: HandlerDecl = {
  name: 'AccountHandler',
  path: '/account/',
  doc: 'Manage the current logged-in user.',
  actions: [
    op('POST', 'create_authorisation_token', 'Create an authorisation token', async ({ svc, user, args }) => {
      const t = await createToken(svc.db, user.id, args.str('name') ?? '');
      return { token_key: t.token_key, token_secret: t.token_secret, consumer_key: t.consumer_key, name: t.name };
    }, [p.str('name', 'Optional name of the token that will be generated.')]),
    op('POST', 'delete_authorisation_token', 'Delete an authorisation token', async ({ svc, user, args }) => {
      await deleteToken(svc, user, args.str('token_key')!);
      return noContent;
    }, [p.str('token_key', 'The key of the token to be deleted.', true)]),
    op('GET', 'list_authorisation_tokens', 'List authorisation tokens', async ({ svc, user }) =>
      (await listTokens(svc, user)).map((t) => ({ name: t.name, token: formatKey(t) }))),
    op('POST', 'update_token_name', 'Modify authorisation token', async ({ svc, user, args }) => {
      await renameToken(svc, user, args.str('token')!, args.str('name')!);
      return textReply(202, 'Accepted');
    }, [p.str('token', 'Can be the whole token or only the token key.', true), p.str('name', 'New name of the token.', true)]),
  ],
};
