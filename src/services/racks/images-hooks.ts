/**
 * What a region with image sync lends the rack use cases (src/edges/rpc/images-link.ts): asking the
 * racks linked to this region process to sync now, and the digest of the region's current images.
 * A context without it (CLI, tests without the image edge) has no image sync to drive.
 */
export interface RackImageHooks {
  /** Pushes `images.sync` to one rack or to every rack linked here that syncs images; the system_ids told. */
  requestSync(systemId?: string): string[];
  /** The region's current manifest: its digest, file count and bytes. */
  current(): Promise<{ digest: string; files: number; bytes: number }>;
}

declare module '../context.ts' {
  interface ServiceContext {
    rackImages?: RackImageHooks;
  }
}
