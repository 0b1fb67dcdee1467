/**
 * The rack ↔ region link protocol: one WebSocket per rack at `/MAAS/rpc/rack` on the region's HTTP
 * port, dialled by the rack (so racks behind NAT work).
 *
 * 1. Mutual challenge–response on the shared secret, before anything else. The region opens with
 *    `{type:'challenge', nonce}`; the rack answers `{type:'auth', digest: HMAC(secret, 'rack:'+nonce),
 *    nonce: <its own>}`; the region checks it (constant time) and answers `{type:'auth-ok', digest:
 *    HMAC(secret, 'region:'+rackNonce)}`, which the rack checks in turn. The role prefix keeps a
 *    digest from being reflected back to the side that asked for it (MAAS's calculate_digest salts
 *    the same way). Anything else before `auth-ok` closes the link with 4401.
 * 2. Then JSON frames {id, type: call|result|error|push, method, params|result|error}. Calls are
 *    answered by a result or an error with the same id. Unknown or malformed frames close the link
 *    (4400); frames above the size limit close it too (WebSocket 1009).
 *
 * Liveness: each side pings every 10 s (WebSocket ping) and drops a link silent for 30 s.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';

export const RACK_LINK_PATH = '/MAAS/rpc/rack';
export const DEFAULT_MAX_FRAME_BYTES = 8 * 1024 * 1024;
export const DEFAULT_HEARTBEAT_MS = 10_000;
export const DEFAULT_DEAD_MS = 30_000;
export const DEFAULT_CALL_TIMEOUT_MS = 10_000;

/** WebSocket close codes the link uses (4000–4999 are for applications). */
export const CLOSE = {
  authFailed: 4401,
  protocol: 4400,
  deadPeer: 4408,
  secretRotated: 4403,
  replaced: 4409,
  shutdown: 1001,
} as const;

export const newNonce = () => randomBytes(32).toString('hex');

export function digest(secret: string, role: 'rack' | 'region', nonce: string): string {
  return createHmac('sha256', Buffer.from(secret, 'hex')).update(`${role}:${nonce}`).digest('hex');
}

export function digestMatches(secret: string, role: 'rack' | 'region', nonce: string, given: string): boolean {
  const want = Buffer.from(digest(secret, role, nonce), 'hex');
  const got = Buffer.from(/^[0-9a-f]{64}$/.test(given) ? given : '', 'hex');
  return got.length === want.length && timingSafeEqual(got, want);
}

/** A shared secret is 32 random bytes written as 64 hex digits. */
export const SECRET_PATTERN = /^[0-9a-f]{64}$/;
export const newSecret = () => randomBytes(32).toString('hex');

const nonce = z.string().regex(/^[0-9a-f]{32,128}$/);
export const challengeFrame = z.object({ type: z.literal('challenge'), nonce }).strict();
export const authFrame = z.object({ type: z.literal('auth'), digest: z.string().max(128), nonce }).strict();
export const authOkFrame = z.object({ type: z.literal('auth-ok'), digest: z.string().max(128) }).strict();

const method = z.string().min(1).max(64).regex(/^[a-z][a-z0-9_.]*$/);
export const linkError = z.object({ code: z.string().max(64), message: z.string().max(4096), retryable: z.boolean().optional() });
export type LinkErrorBody = z.infer<typeof linkError>;

export const frame = z.discriminatedUnion('type', [
  z.object({ type: z.literal('call'), id: z.number().int().nonnegative(), method, params: z.unknown() }).strict(),
  z.object({ type: z.literal('result'), id: z.number().int().nonnegative(), result: z.unknown() }).strict(),
  z.object({ type: z.literal('error'), id: z.number().int().nonnegative(), error: linkError }).strict(),
  z.object({ type: z.literal('push'), method, params: z.unknown() }).strict(),
]);
export type Frame = z.infer<typeof frame>;

/** Parses one text frame against a schema; null when it is not JSON or does not fit. */
export function parseFrame<T>(schema: z.ZodType<T>, data: unknown): T | null {
  let text: string;
  if (typeof data === 'string') text = data;
  else if (Buffer.isBuffer(data)) text = data.toString('utf8');
  else if (Array.isArray(data)) text = Buffer.concat(data as Buffer[]).toString('utf8');
  else if (data instanceof ArrayBuffer) text = Buffer.from(data).toString('utf8');
  else return null;
  let json: unknown;
  try { json = JSON.parse(text); } catch { return null; }
  const r = schema.safeParse(json);
  return r.success ? r.data : null;
}

// ---- Method payloads ---------------------------------------------------------------------------

const cidrAddress = z.string().max(64).regex(/^[0-9a-fA-F:.]+\/\d{1,3}$/);
export const rackInterface = z.object({
  name: z.string().min(1).max(64),
  mac: z.string().regex(/^[0-9a-fA-F]{2}([:-][0-9a-fA-F]{2}){5}$/),
  addresses: z.array(cidrAddress).max(64).default([]),
  vid: z.number().int().min(0).max(4094).optional(),
  parent: z.string().min(1).max(64).optional(),
}).strict();
export type RackInterface = z.infer<typeof rackInterface>;
const rackInterfaces = z.array(rackInterface).max(256);

export const helloParams = z.object({
  system_id: z.string().regex(/^[a-z0-9]{1,16}$/).optional(),
  hostname: z.string().min(1).max(63).regex(/^[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?$/),
  version: z.string().max(64),
  interfaces: rackInterfaces,
  /** Power types the rack can drive (drivers with their tools installed). */
  power_types: z.array(z.string().max(32)).max(64).optional(),
}).strict();
export type HelloParams = z.infer<typeof helloParams>;
export const helloResult = z.object({ system_id: z.string() });

/** The rack's interfaces changed since it last told the region (hello or an earlier report): all of them, as in hello. */
export const interfacesReport = z.object({ interfaces: rackInterfaces }).strict();
export type InterfacesReport = z.infer<typeof interfacesReport>;

const serviceState = z.object({ status: z.enum(['running', 'degraded', 'off']), reason: z.string().max(1024).optional() }).strict();
export const servicesReport = z.object({
  dhcp: serviceState.optional(), tftp: serviceState.optional(), http: serviceState.optional(), power: serviceState.optional(),
  /** The boot images in the rack's cache. */
  images: z.array(z.object({ name: z.string().max(128), architecture: z.string().max(64), subarches: z.array(z.string().max(64)).max(64) }).strict()).max(1024).optional(),
}).strict();
export type ServicesReport = z.infer<typeof servicesReport>;

export const bootRequest = z.object({
  mac: z.string().max(32).optional(),
  arch: z.string().max(32).optional(),
  subarch: z.string().max(64).optional(),
  firmware: z.enum(['bios', 'uefi']),
  rackHost: z.string().min(1).max(64),
  httpPort: z.number().int().min(1).max(65535).optional(),
}).strict();
export type BootRequestParams = z.infer<typeof bootRequest>;

export const leasesReport = z.object({
  leases: z.array(z.object({
    ip: z.string().max(64), mac: z.string().max(32), hostname: z.string().max(255).optional(),
    /** 'commit' (handed out or renewed), 'release' or 'expiry'. */
    action: z.enum(['commit', 'release', 'expiry']),
    expires: z.string().max(64).optional(),
    /** The DHCP server's client key (option 61 or hardware address), for the failover peer. */
    client_key: z.string().max(600).optional(),
  }).strict()).max(10_000),
}).strict();
export type LeasesReport = z.infer<typeof leasesReport>;

export const powerExecuteParams = z.object({
  powerType: z.string().min(1).max(32),
  params: z.record(z.string(), z.string()),
  command: z.enum(['on', 'off', 'cycle', 'query', 'boot']),
  bootDevice: z.enum(['pxe', 'disk']).optional(),
  offMode: z.enum(['soft', 'hard']).optional(),
}).strict();
export type PowerExecuteParams = z.infer<typeof powerExecuteParams>;
export const powerExecuteResult = z.object({ state: z.enum(['on', 'off', 'unknown', 'error']), note: z.string().optional() });

/** A lease the region pushes to a failover rack (DhcpKnownLease). */
export const knownLease = z.object({
  subnet_id: z.number().int(), ip: z.string().max(64), mac: z.string().max(32), client_key: z.string().max(600).nullable(),
  expires: z.string().max(64), rack: z.string().max(32).nullable(), updated: z.string().max(64),
}).strict();

/**
 * The DHCP service pushed to a rack (a DhcpRackPush: a DhcpRackService, whose parts the DHCP server
 * checks, plus the VLANs whose primary is gone and the failover VLANs' active leases).
 */
export const dhcpConfig = z.object({
  rack: z.string(), vlans: z.array(z.unknown()),
  primary_gone: z.array(z.number().int()).max(4096).default([]),
  leases: z.array(knownLease).max(200_000).default([]),
}).passthrough();
