/**
 * A rack's image sync as it reported it over its link (`images.progress`): kept in
 * `rack_status.image_sync` (migration 014) with the time of the report, and the images it holds in
 * `rack_status.images`. Read back by `rackcontrollers/{id}/?op=list_boot_images` and the rack's
 * service status (a failed sync makes `rackd` degraded).
 */
import type { ServiceContext } from '../context.ts';

export interface RackImageSync {
  state: 'syncing' | 'synced' | 'failed';
  reason?: string;
  /** The manifest digest the rack synced (or syncs) towards. */
  digest?: string;
  files_done: number;
  files_total: number;
  bytes_done: number;
  bytes_total: number;
  /** Files the rack's cache budget leaves out. */
  held_back: number;
  /** The rack serves the region's own images directory. */
  shared?: boolean;
  /** When the region recorded the report (ISO 8601). */
  updated: string;
}

export interface ImageSyncReport extends Omit<RackImageSync, 'updated'> {
  images?: Array<{ name: string; architecture: string; subarches: string[] }>;
}

export async function recordImageSync(ctx: ServiceContext, systemId: string, report: ImageSyncReport): Promise<void> {
  const { images, ...sync } = report;
  const row: RackImageSync = { ...sync, updated: ctx.now().toISOString() };
  await ctx.db.query(
    `update rack_status set image_sync = $2::jsonb, images = coalesce($3::jsonb, images)
      where node_id = (select id from nodes where system_id = $1)`,
    [systemId, JSON.stringify(row), images ? JSON.stringify(images) : null]);
}
