/**
 * The rack's answer to the region's `power.execute`: one complete command on the rack's
 * PowerService (retries, per-BMC serialisation and verification happen there). Power errors travel
 * back with their code and whether retrying can help; secrets were already scrubbed by the service.
 */
import { PowerError } from '../power/driver.ts';
import type { PowerService } from '../power/service.ts';
import { LinkCallError, type CallHandler } from './peer.ts';
import { powerExecuteParams } from './protocol.ts';

export function powerExecuteHandler(service: PowerService): CallHandler {
  return async (raw) => {
    const p = powerExecuteParams.safeParse(raw);
    if (!p.success) throw new LinkCallError('bad_request', `Invalid power.execute parameters: ${p.error.issues[0]?.path.join('.') || 'body'}.`, false);
    const { powerType, params, command, bootDevice, offMode } = p.data;
    try {
      const r = await service.execute({ powerType, params, action: command, bootDevice, offMode });
      return { state: r.state, ...(r.note ? { note: r.note } : {}) };
    } catch (err) {
      if (err instanceof PowerError) throw new LinkCallError(err.code, err.message, err.retryable);
      throw err;
    }
  };
}
