import { addSshKey, deleteSshKey, getSshKey, importKeysFrom, listSshKeys } from '../../../services/identity/sshkeys.ts';
import { badRequest } from '../../../domain/errors.ts';
import { crud, op, p, type HandlerDecl } from '../declare.ts';
import { noContent } from '../replies.ts';
import { renderSshKey } from '../render/common.ts';

const keyId = (raw: string) => {
  if (!/^\d{1,9}$/.test(raw)) throw badRequest(`Invalid SSH key id: '${raw}'.`);
  return Number(raw);
};

export const SSHKeysHandler: HandlerDecl = {
  name: 'SSHKeysHandler',
  path: '/account/prefs/sshkeys/',
  doc: 'Manage the collection of all the SSH keys in this MAAS.',
  actions: [
    crud.read('List SSH keys', async ({ svc, user }) => (await listSshKeys(svc, user)).map(renderSshKey)),
    crud.create('Add a new SSH key', async ({ svc, user, args }) => renderSshKey(await addSshKey(svc, user, args.str('key')!)),
      [p.str('key', 'A public SSH key should be provided in the request payload as form data with the name \'key\'.', true)]),
    op('POST', 'import', 'Import SSH keys', async ({ svc, user, args, deps }) =>
      (await importKeysFrom(svc, user, args.str('keysource')!, deps.keySources)).map(renderSshKey),
    [p.str('keysource', "The source of SSH keys: 'lp:<user>' for Launchpad or 'gh:<user>' for GitHub.", true)]),
  ],
};

export const SSHKeyHandler: HandlerDecl = {
  name: 'SSHKeyHandler',
  path: '/account/prefs/sshkeys/{id}/',
  doc: 'Manage an SSH key.',
  actions: [
    crud.read('Retrieve an SSH key', async ({ svc, user, path }) => renderSshKey(await getSshKey(svc, user, keyId(path.id)))),
    crud.delete('Delete an SSH key', async ({ svc, user, path }) => { await deleteSshKey(svc, user, keyId(path.id)); return noContent; }),
  ],
};
