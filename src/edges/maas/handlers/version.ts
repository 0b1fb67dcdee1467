import type { HandlerDecl } from '../declare.ts';
import { crud } from '../declare.ts';

export const CAPABILITIES = ['networks-management', 'static-ipaddresses', 'ipv6-deployment-ubuntu', 'devices-management',
  'storage-deployment-ubuntu', 'network-deployment-ubuntu', 'bridging-interface-ubuntu', 'bridging-automatic-ubuntu',
  'authenticate-api'];

export const VersionHandler: HandlerDecl = {
  name: 'VersionHandler',
  path: '/version/',
  doc: 'Information about this MAAS instance.\n\nThis returns a JSON dictionary with information about this\nMAAS instance:: capabilities, version and subversion.',
  anonOnly: true,
  actions: [
    crud.read('Read version and capabilities', async ({ deps }) => ({ capabilities: CAPABILITIES, version: deps.version, subversion: '' })),
  ],
};
