/**
 * How a MAAS API handler is declared: once, as data. Routing, parameter validation, permission checks
 * and `describe/` are all derived from these declarations (see router.ts and describe.ts).
 */
import type { Readable } from 'node:stream';
import type { FilePart } from './wire/multipart.ts';
import type { Actor, ServiceContext } from '../../services/context.ts';
import type { Args } from './args.ts';

export type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';
export type ParamType = 'string' | 'int' | 'float' | 'bool' | 'strings' | 'file';

export interface ParamSpec {
  name: string;
  type: ParamType;
  required?: boolean;
  doc: string;
  /** `power_parameters_{param}`: any parameter with this prefix (collected as a map). */
  prefix?: boolean;
}

export interface RequestInfo {
  /** scheme://host as the client addressed us, for absolute URIs. */
  origin: string;
  headers: Record<string, string | string[] | undefined>;
  remoteAddress: string;
  json: unknown;
  files: FilePart[];
}

export interface Reply {
  status?: number;
  contentType?: string;
  /** A Readable streams (large listings: no single huge string or buffer to build and collect). */
  body: string | Buffer | Readable;
  headers?: Record<string, string>;
}

export interface ActionCtx {
  svc: ServiceContext;
  actor: Actor | null;
  /** The actor, for actions that are never anonymous. */
  user: Actor;
  path: Record<string, string>;
  args: Args;
  req: RequestInfo;
  deps: EdgeDeps;
}

/** Things handlers need beyond services that only the composition root knows. */
export interface EdgeDeps {
  version: string;
  /** Rendered machine JSON by (version, epoch); one per region process. */
  machineCache: import('./render/cache.ts').MachineJsonCache;
  keySources?: { lp: string; gh: string };
}

export type ActionResult = unknown | Reply | null;

export interface ActionDecl {
  /** Action name for describe (`read`, `create`, `update`, `delete` for CRUD; else the op). */
  name: string;
  method: Method;
  op: string | null;
  doc: string;
  params?: ParamSpec[];
  admin?: boolean;
  run(ctx: ActionCtx): Promise<ActionResult>;
}

export interface HandlerDecl {
  name: string;
  /** Path after /MAAS/api/2.0, with {param} placeholders, e.g. `/machines/{system_id}/`. */
  path: string;
  doc: string;
  /** Regex source per path param where the default `[^/]+` is wrong (e.g. a CIDR with '/'). */
  paramPatterns?: Record<string, string>;
  actions: ActionDecl[];
  /** The anonymous companion (AnonMachinesHandler, …), used when a request carries no credentials. */
  anonymous?: Omit<HandlerDecl, 'path' | 'anonymous'>;
  /** Anonymous-only resources such as VersionHandler (no auth handler at all). */
  anonOnly?: boolean;
  /** Other paths that reach the same handler (not shown in describe). */
  aliases?: string[];
  /** Whole resource reserved for admins (e.g. boot sources). */
  adminOnly?: boolean;
}

export const API_PREFIX = '/MAAS/api/2.0';

export const crud = {
  read: (doc: string, run: ActionDecl['run'], params: ParamSpec[] = []): ActionDecl => ({ name: 'read', method: 'GET', op: null, doc, params, run }),
  create: (doc: string, run: ActionDecl['run'], params: ParamSpec[] = [], admin = false): ActionDecl => ({ name: 'create', method: 'POST', op: null, doc, params, admin, run }),
  update: (doc: string, run: ActionDecl['run'], params: ParamSpec[] = [], admin = false): ActionDecl => ({ name: 'update', method: 'PUT', op: null, doc, params, admin, run }),
  delete: (doc: string, run: ActionDecl['run'], params: ParamSpec[] = [], admin = false): ActionDecl => ({ name: 'delete', method: 'DELETE', op: null, doc, params, admin, run }),
};

export const op = (method: Method, name: string, doc: string, run: ActionDecl['run'], params: ParamSpec[] = [], admin = false): ActionDecl =>
  ({ name, method, op: name, doc, params, admin, run });

/** Parameter shorthands. */
export const p = {
  str: (name: string, doc: string, required = false): ParamSpec => ({ name, type: 'string', doc, required }),
  int: (name: string, doc: string, required = false): ParamSpec => ({ name, type: 'int', doc, required }),
  float: (name: string, doc: string, required = false): ParamSpec => ({ name, type: 'float', doc, required }),
  bool: (name: string, doc: string, required = false): ParamSpec => ({ name, type: 'bool', doc, required }),
  list: (name: string, doc: string, required = false): ParamSpec => ({ name, type: 'strings', doc, required }),
  file: (name: string, doc: string, required = false): ParamSpec => ({ name, type: 'file', doc, required }),
  prefixed: (name: string, doc: string): ParamSpec => ({ name, type: 'string', doc, prefix: true }),
};
