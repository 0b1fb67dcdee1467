/**
 * Redfish (DMTF DSP0266 protocol, DSP0268 schemas) over HTTP(S) with Basic authentication.
 * Discovery: service root `/redfish/v1/` → `Systems` collection → one ComputerSystem (chosen by
 * `node_id`, or the only member). Power: the `#ComputerSystem.Reset` action with ResetType
 * On / ForceOff / GracefulShutdown / ForceRestart; state: the system's `PowerState`.
 * Boot device: PATCH `Boot.BootSourceOverrideTarget` Pxe|Hdd with `BootSourceOverrideEnabled` Once,
 * sending `If-Match` with the ETag when the BMC gave one (DSP0266 §"ETags").
 *
 * When a Systems collection has several members and no node_id is set, the driver refuses rather than
 * guess (MAAS takes the first member): powering off the wrong machine is worse than asking.
 */
import { PowerError, scrubError, secretValues, throwIfAborted, timeoutOf } from './driver.ts';
import type { ActionResult, BootDevice, PowerContext, PowerDriver, PowerOffOptions, PowerParams, PowerState } from './driver.ts';
import { describeUrl, httpExchange, statusError, type HttpResponse } from './http-client.ts';
import { schemaErrors, schemaOf, driverIdentity } from './schema.ts';

type Json = Record<string, unknown>;

export function redfishBase(address: string): URL {
  return new URL(/^https?:\/\//i.test(address) ? address : `https://${address}`);
}

export function validateRedfish(p: PowerParams): string[] {
  const errors = schemaErrors('redfish', p);
  if (p.power_address) {
    try { redfishBase(p.power_address); } catch { errors.push('power_address: Enter a host, host:port or an http(s) URL.'); }
  }
  if (p.node_id && !/^[A-Za-z0-9._~:@!$&'()*+,;=-]+$/.test(p.node_id)) errors.push('node_id: Enter a Redfish system Id (no slashes or spaces).');
  return errors;
}

/** One Redfish session-less conversation for one action: every request shares the attempt's deadline. */
class Conversation {
  private readonly deadline: number;
  constructor(private readonly p: PowerParams, private readonly what: string, private readonly ctx?: PowerContext) {
    this.deadline = Date.now() + timeoutOf(ctx);
  }

  private url(path: string): URL {
    const base = redfishBase(this.p.power_address);
    return new URL(path, `${base.protocol}//${base.host}`);
  }

  async send(method: 'GET' | 'POST' | 'PATCH', path: string, json?: unknown, headers?: Record<string, string>): Promise<HttpResponse> {
    throwIfAborted(this.ctx);
    const remaining = this.deadline - Date.now();
    const url = this.url(path);
    if (remaining <= 0) throw new PowerError('timeout', `Redfish ${this.what} at ${describeUrl(url)} ran out of time.`, true);
    const res = await httpExchange({
      url, method, json, headers, basic: { user: this.p.power_user ?? '', pass: this.p.power_pass ?? '' },
      verifyTls: false, timeoutMs: remaining, signal: this.ctx?.signal,
    });
    if (res.status < 200 || res.status > 299) throw statusError(res.status, `Redfish ${this.what}`, describeUrl(url));
    return res;
  }

  async getJson(path: string): Promise<{ body: Json; etag?: string }> {
    const res = await this.send('GET', path);
    try {
      const body = JSON.parse(res.body) as Json;
      if (typeof body !== 'object' || body === null) throw new Error('not an object');
      const etag = (res.headers.etag as string | undefined) ?? (body['@odata.etag'] as string | undefined);
      return { body, etag };
    } catch {
      throw new PowerError('protocol', `Redfish ${this.what}: ${describeUrl(this.url(path))} did not answer JSON.`, false);
    }
  }

  /** The ComputerSystem's path and its current representation. */
  async system(): Promise<{ path: string; body: Json; etag?: string }> {
    const root = (await this.getJson('/redfish/v1/')).body;
    const systemsPath = odataId(root.Systems) ?? '/redfish/v1/Systems';
    const members = ((await this.getJson(systemsPath)).body.Members as unknown[] | undefined ?? [])
      .map(odataId).filter((m): m is string => !!m);
    let path: string | undefined;
    if (this.p.node_id) {
      path = members.find((m) => m.replace(/\/+$/, '').split('/').pop() === this.p.node_id);
      if (!path) throw new PowerError('invalid', `Redfish ${this.what}: the BMC has no system with Id ${this.p.node_id} (it has ${members.length}).`, false);
    } else if (members.length === 1) {
      path = members[0];
    } else {
      throw new PowerError('invalid', members.length
        ? `Redfish ${this.what}: the BMC manages ${members.length} systems; set node_id to one of ${members.map((m) => m.split('/').pop()).join(', ')}.`
        : `Redfish ${this.what}: the BMC lists no systems.`, false);
    }
    const { body, etag } = await this.getJson(path);
    return { path, body, etag };
  }
}

const odataId = (v: unknown): string | undefined =>
  typeof v === 'object' && v !== null && typeof (v as Json)['@odata.id'] === 'string' ? (v as Json)['@odata.id'] as string : undefined;

function stateOf(system: Json): PowerState {
  switch (system.PowerState) {
    case 'On': return 'on';
    case 'Off': return 'off';
    case 'PoweringOn': case 'PoweringOff': case 'Paused': return 'unknown';
    default: return 'error';
  }
}

function resetAction(system: Json): { target: string; allowed?: string[] } {
  const action = (system.Actions as Json | undefined)?.['#ComputerSystem.Reset'] as Json | undefined;
  if (!action || typeof action.target !== 'string')
    throw new PowerError('unsupported', 'Redfish: the system offers no #ComputerSystem.Reset action.', false);
  const allowed = action['ResetType@Redfish.AllowableValues'];
  return { target: action.target, allowed: Array.isArray(allowed) ? allowed.map(String) : undefined };
}

/** The first of `wanted` the BMC allows (all are allowed when it does not list AllowableValues). */
function pickReset(allowed: string[] | undefined, wanted: string[]): string | undefined {
  return wanted.find((w) => !allowed || allowed.includes(w));
}

export function createRedfishDriver(): PowerDriver {
  const schema = schemaOf('redfish');

  async function withConversation<T>(p: PowerParams, what: string, ctx: PowerContext | undefined, fn: (c: Conversation) => Promise<T>): Promise<T> {
    const errors = validateRedfish(p);
    if (errors.length) throw new PowerError('invalid', `Redfish parameters are not usable: ${errors.join(' ')}`, false);
    try {
      return await fn(new Conversation(p, what, ctx));
    } catch (err) {
      if (err instanceof PowerError) throw scrubError(err, secretValues(schema.fields, p));
      throw new PowerError('bmc', `Redfish ${what} failed unexpectedly.`, true);
    }
  }

  async function reset(c: Conversation, system: Json, wanted: string[]): Promise<void> {
    const { target, allowed } = resetAction(system);
    const type = pickReset(allowed, wanted);
    if (!type) throw new PowerError('unsupported', `Redfish: the system allows none of ResetType ${wanted.join('/')}.`, false);
    await c.send('POST', target, { ResetType: type });
  }

  return {
    ...driverIdentity(schema),
    requiredCommands: [],
    validate: validateRedfish,
    bmcKey: (p) => {
      try { return `redfish:${redfishBase(p.power_address).host}`; } catch { return `redfish:${p.power_address}`; }
    },
    powerOn: (p, ctx) => withConversation(p, 'power on', ctx, async (c): Promise<ActionResult> => {
      const s = await c.system();
      if (stateOf(s.body) === 'on') return { note: 'The system was already on.' };
      await reset(c, s.body, ['On', 'ForceOn']);
      return {};
    }),
    powerOff: (p, ctx, o?: PowerOffOptions) => withConversation(p, 'power off', ctx, async (c): Promise<ActionResult> => {
      const s = await c.system();
      if (stateOf(s.body) === 'off') return { note: 'The system was already off.' };
      await reset(c, s.body, o?.mode === 'soft' ? ['GracefulShutdown'] : ['ForceOff']);
      return {};
    }),
    powerCycle: (p, ctx) => withConversation(p, 'power cycle', ctx, async (c): Promise<ActionResult> => {
      const s = await c.system();
      if (stateOf(s.body) === 'off') {
        await reset(c, s.body, ['On', 'ForceOn']);
        return { note: 'The system was off; it was powered on.' };
      }
      await reset(c, s.body, ['ForceRestart', 'PowerCycle']);
      return {};
    }),
    queryState: (p, ctx) => withConversation(p, 'power query', ctx, async (c) => stateOf((await c.system()).body)),
    setBootDevice: (p, device: BootDevice, ctx) => withConversation(p, `boot device ${device}`, ctx, async (c): Promise<ActionResult> => {
      const s = await c.system();
      const target = device === 'pxe' ? 'Pxe' : 'Hdd';
      const allowed = (s.body.Boot as Json | undefined)?.['BootSourceOverrideTarget@Redfish.AllowableValues'];
      if (Array.isArray(allowed) && !allowed.includes(target))
        throw new PowerError('unsupported', `Redfish: the system does not offer boot override target ${target}.`, false);
      await c.send('PATCH', s.path, { Boot: { BootSourceOverrideEnabled: 'Once', BootSourceOverrideTarget: target } },
        s.etag ? { 'If-Match': s.etag } : undefined);
      return {};
    }),
  };
}

export const redfishDriver = createRedfishDriver();
