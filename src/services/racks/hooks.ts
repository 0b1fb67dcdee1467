/**
 * What a region with a rack endpoint lends the rack use cases: a way to drop a rack's live link
 * (the rack was deleted) and to react to a new shared secret (drop old links, rewrite the secret file).
 * A context without it (CLI, tests) simply has no live links to act on.
 */
export interface RackLinkHooks {
  drop(systemId: string, reason: string): void;
  secretRotated(secret: string): void;
}

declare module '../context.ts' {
  interface ServiceContext {
    rackLinks?: RackLinkHooks;
  }
}
