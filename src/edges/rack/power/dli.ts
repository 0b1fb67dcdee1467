/**
 * Digital Loggers web power switches, over their classic HTTP interface as MAAS drives them:
 * `GET /outlet?<n>=ON|OFF|CCL` switches outlet n (1-based), and the status page `GET /index.htm`
 * carries `<!-- state=<hex> lock=… -->`, a bitmask of outlet states (bit n-1 set = on). Basic auth
 * is sent up front (the switch's `--auth-no-challenge` mode). One attempt per call; PowerService retries.
 */
import { PowerError, secretValues, scrubError, timeoutOf, type ActionResult, type PowerContext, type PowerDriver, type PowerParams, type PowerState } from './driver.ts';
import { httpExchange, statusError } from './http-client.ts';
import { schemaErrors, schemaOf, withDefaults, driverIdentity } from './schema.ts';

const schema = schemaOf('dli');

function target(params: PowerParams): { base: URL; outlet: number; basic?: { user: string; pass: string } } {
  const p = withDefaults(schema.fields, params);
  const outlet = Number(p.outlet_id);
  if (!Number.isInteger(outlet) || outlet < 1 || outlet > 16) throw new PowerError('invalid', `outlet_id must be a whole number from 1 to 16 (got '${p.outlet_id}').`, false);
  const address = p.power_address.includes('://') ? p.power_address : `http://${p.power_address}`;
  let base: URL;
  try { base = new URL(address); } catch { throw new PowerError('invalid', 'power_address is not a valid address.', false); }
  return { base, outlet, basic: p.power_user ? { user: p.power_user, pass: p.power_pass ?? '' } : undefined };
}

async function get(params: PowerParams, path: string, ctx?: PowerContext): Promise<string> {
  const t = target(params);
  try {
    const res = await httpExchange({ url: new URL(path, t.base), method: 'GET', basic: t.basic, verifyTls: false, timeoutMs: timeoutOf(ctx), signal: ctx?.signal });
    if (res.status !== 200) throw statusError(res.status, 'The power switch', t.base.host);
    return res.body;
  } catch (err) {
    throw err instanceof PowerError ? scrubError(err, secretValues(schema.fields, params)) : err;
  }
}

async function switchOutlet(params: PowerParams, to: 'ON' | 'OFF' | 'CCL', ctx?: PowerContext): Promise<ActionResult> {
  const { outlet } = target(params);
  await get(params, `/outlet?${outlet}=${to}`, ctx);
  return {};
}

export function createDliDriver(): PowerDriver {
  return {
    ...driverIdentity(schema),
    requiredCommands: [],
    validate: (p) => {
      const errors = schemaErrors('dli', p);
      if (!errors.length) try { target(p); } catch (e) { errors.push((e as Error).message); }
      return errors;
    },
    bmcKey: (p) => `dli:${p.power_address ?? ''}`,
    powerOn: (p, ctx) => switchOutlet(p, 'ON', ctx),
    powerOff: (p, ctx) => switchOutlet(p, 'OFF', ctx),
    powerCycle: (p, ctx) => switchOutlet(p, 'CCL', ctx),
    async queryState(p, ctx): Promise<PowerState> {
      const { outlet } = target(p);
      const page = await get(p, '/index.htm', ctx);
      const m = /<!--\s*state=([0-9a-fA-F]+)/.exec(page);
      if (!m) throw new PowerError('protocol', 'The power switch status page has no outlet state.', true);
      return (parseInt(m[1], 16) >> (outlet - 1)) & 1 ? 'on' : 'off';
    },
  };
}

export const dliDriver = createDliDriver();
