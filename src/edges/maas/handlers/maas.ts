import { getConfig, setConfig } from '../../../services/config.ts';
import { op, p, type HandlerDecl } from '../declare.ts';
import { textReply } from '../replies.ts';

export const MaasHandler: HandlerDecl = {
  name: 'MaasHandler',
  path: '/maas/',
  doc: 'Manage the MAAS server.',
  actions: [
    op('GET', 'get_config', 'Get a configuration value', async ({ svc, args }) => getConfig(svc.db, args.str('name')!),
      [p.str('name', 'The name of the configuration item to be retrieved.', true)]),
    op('POST', 'set_config', 'Set a configuration value', async ({ svc, user, args }) => {
      await setConfig(svc, user, args.str('name')!, args.str('value') ?? '');
      return textReply(200, 'OK');
    }, [p.str('name', 'The name of the configuration item to be set.', true), p.str('value', 'The value of the configuration item to be set.')], true),
  ],
};
