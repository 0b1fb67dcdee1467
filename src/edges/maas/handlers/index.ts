/** Every MAAS API handler Plinth serves. Routing and describe/ are derived from this list. */
import type { HandlerDecl } from '../declare.ts';
import { AccountHandler } from './account.ts';
import { EventsHandler } from './events.ts';
import { MachineHandler } from './machine.ts';
import { MachinesHandler } from './machines.ts';
import { MaasHandler } from './maas.ts';
import { NETWORK_HANDLERS } from './network/index.ts';
import { NodeResultsHandler, NodeScriptResultHandler, NodeScriptResultsHandler } from './script-results.ts';
import { NodeScriptHandler, NodeScriptsHandler } from './node-scripts.ts';
import { ResourcePoolHandler, ResourcePoolsHandler, ZoneHandler, ZonesHandler } from './places.ts';
import { SSHKeyHandler, SSHKeysHandler } from './sshkeys.ts';
import { STORAGE_HANDLERS } from './storage/index.ts';
import { TagHandler, TagsHandler } from './tags.ts';
import { UserHandler, UsersHandler } from './users.ts';
import { VersionHandler } from './version.ts';
import { RackControllerHandler, RackControllersHandler } from './rackcontrollers.ts';
import { BootResourceHandler, BootResourcesHandler } from './boot-resources.ts';
import { BootSourceHandler, BootSourceSelectionHandler, BootSourceSelectionsHandler, BootSourcesHandler } from './boot-sources.ts';

export const HANDLERS: HandlerDecl[] = [
  VersionHandler, MaasHandler, AccountHandler, UsersHandler, UserHandler, SSHKeysHandler, SSHKeyHandler,
  ZonesHandler, ZoneHandler, ResourcePoolsHandler, ResourcePoolHandler, TagsHandler, TagHandler, EventsHandler,
  MachinesHandler, MachineHandler,
  NodeScriptResultsHandler, NodeScriptResultHandler, NodeResultsHandler,
  NodeScriptsHandler, NodeScriptHandler,
  ...NETWORK_HANDLERS,
  ...STORAGE_HANDLERS,
  RackControllersHandler, RackControllerHandler,
  BootResourcesHandler, BootResourceHandler, BootSourcesHandler, BootSourceHandler, BootSourceSelectionsHandler, BootSourceSelectionHandler,
];
