/**
 * Live state of racks as the regions see it. The region holding a rack's link records it connected and
 * refreshes `last_seen` on every heartbeat; a rack counts as connected only while that is recent, so a
 * region that died without saying so does not leave its racks looking healthy.
 */
import type { ServiceContext } from '../context.ts';
import type { RackImageSync } from './images-status.ts';

/** Three missed 10 s heartbeats and then some: the rack (or its region) is gone. */
export const LIVE_WINDOW_MS = 45_000;

export type ServiceName = 'dhcp' | 'tftp' | 'http' | 'power';
export interface ServiceState { status: 'running' | 'degraded' | 'off'; reason?: string }
export interface RackImage { name: string; architecture: string; subarches: string[] }
export interface ServicesReport extends Partial<Record<ServiceName, ServiceState>> { images?: RackImage[] }

export interface RackStatusRow {
  node_id: number; version: string; connected: boolean; region: string | null; connected_at: Date | null;
  last_seen: Date | null; services: Partial<Record<ServiceName, ServiceState>>; images: RackImage[];
  /** The rack's last image sync report (migration 014); null before it reports. */
  image_sync?: RackImageSync | null;
}

export const isLive = (s: Pick<RackStatusRow, 'connected' | 'last_seen'> | undefined, now: Date): boolean =>
  !!s?.connected && !!s.last_seen && now.getTime() - new Date(s.last_seen).getTime() < LIVE_WINDOW_MS;

const byRack = `node_id = (select id from nodes where system_id = $1)`;

/** Heartbeat of a link held by `region`. */
export async function rackSeen(ctx: ServiceContext, systemId: string, region: string): Promise<void> {
  await ctx.db.query(`update rack_status set last_seen = now(), connected = true where ${byRack} and region = $2`, [systemId, region]);
}

/** The link held by `region` is gone (a link the rack meanwhile opened elsewhere is left alone). */
export async function rackDisconnected(ctx: ServiceContext, systemId: string, region: string): Promise<void> {
  await ctx.db.query(`update rack_status set connected = false where ${byRack} and region = $2`, [systemId, region]);
}

export async function recordServices(ctx: ServiceContext, systemId: string, report: ServicesReport): Promise<void> {
  const { images, ...services } = report;
  await ctx.db.query(
    `update rack_status set services = $2::jsonb, images = coalesce($3::jsonb, images), last_seen = now() where ${byRack}`,
    [systemId, JSON.stringify(services), images ? JSON.stringify(images) : null]);
}

/** Racks this region believed connected when it last ran: they are not (their links died with it). */
export async function forgetRegionLinks(ctx: ServiceContext, region: string): Promise<void> {
  await ctx.db.query('update rack_status set connected = false where region = $1', [region]);
}
