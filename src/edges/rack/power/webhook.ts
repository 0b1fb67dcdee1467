/**
 * Webhook power, with MAAS's parameters: POST `power_on_uri` / `power_off_uri`, GET `power_query_uri`
 * and match the answer's body against `power_on_regex` / `power_off_regex` (searched anywhere in the body,
 * on-pattern first). Authorization: `power_token` as a Bearer token (RFC 6750) when set, otherwise
 * `power_user`/`power_pass` as Basic (RFC 7617). `power_verify_ssl` = y checks TLS certificates.
 *
 * A webhook has no cycle URI: powerCycle powers on when the query says off; otherwise it powers off,
 * polls the query URI until it says off (within the attempt's time bound), then powers on.
 */
import { PowerError, scrubError, secretValues, throwIfAborted, timeoutOf } from './driver.ts';
import type { ActionResult, PowerContext, PowerDriver, PowerParams, PowerState } from './driver.ts';
import { describeUrl, httpExchange, statusError } from './http-client.ts';
import { schemaErrors, schemaOf, withDefaults, driverIdentity } from './schema.ts';

const CYCLE_POLL_MS = 250;

function compile(pattern: string): RegExp | undefined {
  try { return new RegExp(pattern); } catch { return undefined; }
}

export function validateWebhook(raw: PowerParams): string[] {
  const errors = schemaErrors('webhook', raw);
  const p = withDefaults(schemaOf('webhook').fields, raw);
  for (const key of ['power_on_regex', 'power_off_regex'])
    if (p[key] && !compile(p[key])) errors.push(`${key}: Enter a valid regular expression.`);
  if (p.power_pass && !p.power_user && !p.power_token) errors.push('power_user: A user is needed with power_pass.');
  for (const key of ['power_on_uri', 'power_off_uri', 'power_query_uri']) {
    try {
      const u = new URL(p[key] ?? '');
      if (u.username || u.password) errors.push(`${key}: Put credentials in power_user/power_pass or power_token, not in the URI.`);
    } catch { /* reported by the schema check */ }
  }
  return errors;
}

const sleep = (ms: number, signal?: AbortSignal) => new Promise<void>((resolve) => {
  const t = setTimeout(resolve, ms);
  signal?.addEventListener('abort', () => { clearTimeout(t); resolve(); }, { once: true });
});

export function createWebhookDriver(): PowerDriver {
  const schema = schemaOf('webhook');

  function prepare(raw: PowerParams): PowerParams {
    const errors = validateWebhook(raw);
    if (errors.length) throw new PowerError('invalid', `Webhook parameters are not usable: ${errors.join(' ')}`, false);
    return withDefaults(schema.fields, raw);
  }

  async function call(p: PowerParams, key: string, method: 'GET' | 'POST', what: string, deadline: number, ctx?: PowerContext): Promise<string> {
    throwIfAborted(ctx);
    const url = new URL(p[key]);
    const remaining = deadline - Date.now();
    if (remaining <= 0) throw new PowerError('timeout', `Webhook ${what} at ${describeUrl(url)} ran out of time.`, true);
    const res = await httpExchange({
      url, method, verifyTls: p.power_verify_ssl === 'y', timeoutMs: remaining, signal: ctx?.signal,
      bearer: p.power_token || undefined,
      basic: !p.power_token && p.power_user ? { user: p.power_user, pass: p.power_pass ?? '' } : undefined,
    });
    if (res.status < 200 || res.status > 299) throw statusError(res.status, `Webhook ${what}`, describeUrl(url));
    return res.body;
  }

  async function query(p: PowerParams, deadline: number, ctx?: PowerContext): Promise<PowerState> {
    const body = await call(p, 'power_query_uri', 'GET', 'power query', deadline, ctx);
    if (compile(p.power_on_regex)!.test(body)) return 'on';
    if (compile(p.power_off_regex)!.test(body)) return 'off';
    return 'unknown';
  }

  /** Runs one action with a deadline, scrubbing secrets from any error. */
  async function act<T>(raw: PowerParams, ctx: PowerContext | undefined, fn: (p: PowerParams, deadline: number) => Promise<T>): Promise<T> {
    const p = prepare(raw);
    try {
      return await fn(p, Date.now() + timeoutOf(ctx));
    } catch (err) {
      if (err instanceof PowerError) throw scrubError(err, secretValues(schema.fields, p));
      throw new PowerError('bmc', 'Webhook call failed unexpectedly.', true);
    }
  }

  return {
    ...driverIdentity(schema),
    requiredCommands: [],
    validate: validateWebhook,
    bmcKey: (p) => {
      try { return `webhook:${new URL(p.power_on_uri).host}`; } catch { return `webhook:${p.power_on_uri}`; }
    },
    powerOn: (raw, ctx) => act(raw, ctx, async (p, deadline): Promise<ActionResult> => {
      await call(p, 'power_on_uri', 'POST', 'power on', deadline, ctx);
      return {};
    }),
    powerOff: (raw, ctx) => act(raw, ctx, async (p, deadline): Promise<ActionResult> => {
      await call(p, 'power_off_uri', 'POST', 'power off', deadline, ctx);
      return {};
    }),
    powerCycle: (raw, ctx) => act(raw, ctx, async (p, deadline): Promise<ActionResult> => {
      if ((await query(p, deadline, ctx)) === 'off') {
        await call(p, 'power_on_uri', 'POST', 'power on', deadline, ctx);
        return { note: 'The machine was off; it was powered on.' };
      }
      await call(p, 'power_off_uri', 'POST', 'power off', deadline, ctx);
      while ((await query(p, deadline, ctx)) !== 'off') {
        if (Date.now() + CYCLE_POLL_MS >= deadline)
          throw new PowerError('timeout', 'Webhook power cycle: the machine did not report off in time; it was not powered on again.', true);
        await sleep(CYCLE_POLL_MS, ctx?.signal);
        throwIfAborted(ctx);
      }
      await call(p, 'power_on_uri', 'POST', 'power on', deadline, ctx);
      return {};
    }),
    queryState: (raw, ctx) => act(raw, ctx, (p, deadline) => query(p, deadline, ctx)),
  };
}

export const webhookDriver = createWebhookDriver();
