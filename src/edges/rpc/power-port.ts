/**
 * The power port over rack links: a command goes to a connected rack, chosen as the rack with an
 * interface on the BMC's subnet when the BMC's address is known (so the BMC is reachable from it),
 * else any connected rack that can drive the power type. With no rack connected the command fails
 * with a retryable error, so workflows try again once a rack is back.
 */
import { contains, parseInterfaceAddress, tryParseIp, type IpAddress } from '../../domain/network/ip.ts';
import { powerType } from '../../domain/power/schemas.ts';
import { PowerPortError, type PowerPort } from '../../services/ports/power.ts';
import { LinkCallError } from '../rack/link/peer.ts';
import { powerExecuteResult } from '../rack/link/protocol.ts';
import type { ConnectedRack, RackRegistry } from './registry.ts';

export interface LinkPowerPortOptions {
  /** Bound of one command including the rack's retries and verification (default 5 min). */
  timeoutMs?: number;
}

/** The BMC's IP address when its parameters name one (power_address, or the host of a URL). */
export function bmcAddress(params: Record<string, string>): IpAddress | null {
  for (const key of ['power_address', 'power_hostname', 'power_on_uri', 'power_query_uri']) {
    const v = params[key]?.trim();
    if (!v) continue;
    const direct = tryParseIp(v);
    if (direct) return direct;
    try {
      const host = new URL(v.includes('://') ? v : `x://${v}`).hostname.replace(/^\[|\]$/g, '');
      const ip = tryParseIp(host);
      if (ip) return ip;
    } catch { /* not a URL */ }
  }
  return null;
}

const canDrive = (r: ConnectedRack, type: string) => !r.powerTypes || r.powerTypes.includes(type);

function onSubnet(r: ConnectedRack, ip: IpAddress): boolean {
  return r.interfaces.some((i) => i.addresses.some((a) => {
    try { return contains(parseInterfaceAddress(a).network, ip); } catch { return false; }
  }));
}

export function chooseRack(racks: ConnectedRack[], type: string, params: Record<string, string>): ConnectedRack | undefined {
  const able = racks.filter((r) => canDrive(r, type));
  const ip = bmcAddress(params);
  return (ip && able.find((r) => onSubnet(r, ip))) || able[0];
}

export function linkPowerPort(registry: RackRegistry, o: LinkPowerPortOptions = {}): PowerPort {
  const known = (type: string) => !!powerType(type);
  return {
    // With no rack connected the type still counts as controllable: the command waits for a rack.
    controls: (type) => known(type) && (registry.list().length === 0 || registry.list().some((r) => canDrive(r, type))),
    queryable: (type) => !!powerType(type)?.queryable,
    canSetBootDevice: (type) => !!powerType(type)?.canSetBootDevice,
    manual: (type) => type === 'manual',
    async execute(target, command, opts = {}) {
      const rack = chooseRack(registry.list(), target.powerType, target.params);
      if (!rack) {
        const any = registry.list().length > 0;
        throw new PowerPortError('no_rack', any
          ? `No connected rack controller can drive ${target.powerType} power.`
          : 'No rack controller is connected to this region; the power command will be retried when one is.', true);
      }
      if (opts.signal?.aborted) throw new PowerPortError('timeout', 'The power command was cancelled.', false);
      const call = registry.call(rack.systemId, 'power.execute', {
        powerType: target.powerType, params: target.params, command,
        ...(opts.bootDevice ? { bootDevice: opts.bootDevice } : {}), ...(opts.offMode ? { offMode: opts.offMode } : {}),
      }, o.timeoutMs ?? 300_000);
      const aborted = new Promise<never>((_, reject) => opts.signal?.addEventListener('abort',
        () => reject(new PowerPortError('timeout', 'The power command was cancelled.', false)), { once: true }));
      try {
        const r = powerExecuteResult.safeParse(await Promise.race([call, aborted]));
        if (!r.success) throw new PowerPortError('protocol', `Rack ${rack.hostname} gave an unreadable power result.`, true);
        return r.data;
      } catch (err) {
        if (err instanceof LinkCallError) throw new PowerPortError(err.code, err.message, err.retryable);
        throw err;
      }
    },
  };
}
