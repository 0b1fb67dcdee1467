/**
 * The shared secret racks authenticate with (MAAS: `rpc_shared_secret`). Generated once by the first
 * region to start, kept in the config table (never listed by get_config: it is not a setting) and
 * shared by every region on the store. Rotating it drops every link authenticated with the old one.
 */
import { randomBytes } from 'node:crypto';
import { configRepo } from '../../store/repos/config.ts';
import type { Queryable, ServiceContext } from '../context.ts';
import './hooks.ts';

export const SECRET_KEY = 'rpc_shared_secret';
const LOCK = 0x504c5253; // 'PLRS': serialises first-start generation across regions

const valid = (v: unknown): v is string => typeof v === 'string' && /^[0-9a-f]{64}$/.test(v);

export async function getRackSecret(q: Queryable): Promise<string | undefined> {
  const v = await configRepo.get(q, SECRET_KEY);
  return valid(v) ? v : undefined;
}

/** The secret, generated on first use. */
export async function ensureRackSecret(ctx: ServiceContext): Promise<{ secret: string; created: boolean }> {
  return ctx.db.tx(async (q) => {
    await q.query('select pg_advisory_xact_lock($1::int)', [LOCK]);
    const have = await getRackSecret(q);
    if (have) return { secret: have, created: false };
    const secret = randomBytes(32).toString('hex');
    await configRepo.set(q, SECRET_KEY, secret);
    ctx.log.info({}, 'generated the rack shared secret');
    return { secret, created: true };
  });
}

/** `plinth rack secret [--rotate]`: the current secret, or a new one (links on the old one drop). */
export async function rackSecret(ctx: ServiceContext, req: { rotate?: boolean }): Promise<{ secret: string; rotated: boolean }> {
  if (!req.rotate) return { secret: (await ensureRackSecret(ctx)).secret, rotated: false };
  const secret = randomBytes(32).toString('hex');
  await configRepo.set(ctx.db, SECRET_KEY, secret);
  ctx.log.info({}, 'rotated the rack shared secret');
  ctx.rackLinks?.secretRotated(secret);
  return { secret, rotated: true };
}
