/**
 * TEST DOUBLE for a flaky BMC (hardware we do not have): a power driver whose calls follow a script —
 * succeed, fail retryably or fatally, hang (ignoring or honouring the abort signal), or take a while —
 * and whose machine reaches the commanded power state only after a number of queries. It records
 * every call with start and end times and the highest number of overlapping calls per BMC.
 */
import { PowerError, type PowerContext, type PowerDriver, type PowerParams, type PowerState } from '../../src/edges/rack/power/driver.ts';

export type Step =
  | 'ok'
  | 'retryable'
  | 'fatal'
  | 'hang'            // never settles, ignores the abort signal
  | 'hang-abortable'  // settles with a retryable error when aborted
  | { delayMs: number }
  | { throwPlain: string }; // a bug: throws a non-PowerError

export interface CallRecord { op: string; bmc: string; start: number; end?: number; aborted?: boolean }

export interface FlakyBmc extends PowerDriver {
  /** Steps for the next calls of an op ('on', 'off', 'cycle', 'query', 'boot'); missing → 'ok'. */
  script(op: string, ...steps: Step[]): void;
  /** Queries that must pass after an on/off before the machine shows the new state. */
  lagQueries: number;
  /** Never reach the commanded state. */
  stuck: boolean;
  calls: CallRecord[];
  maxOverlap: Map<string, number>;
  power: Map<string, 'on' | 'off'>;
}

export function createFlakyBmc(): FlakyBmc {
  const scripts = new Map<string, Step[]>();
  const active = new Map<string, number>();
  const pending = new Map<string, { want: 'on' | 'off'; after: number }>();

  async function perform(bmc: FlakyBmc, op: string, p: PowerParams, ctx: PowerContext | undefined, effect: () => void): Promise<void> {
    const key = p.address;
    const rec: CallRecord = { op, bmc: key, start: Date.now() };
    bmc.calls.push(rec);
    const now = (active.get(key) ?? 0) + 1;
    active.set(key, now);
    bmc.maxOverlap.set(key, Math.max(bmc.maxOverlap.get(key) ?? 0, now));
    try {
      const step = scripts.get(op)?.shift() ?? 'ok';
      if (step === 'retryable') throw new PowerError('busy', `flaky BMC ${key} is busy (password ${p.password})`, true);
      if (step === 'fatal') throw new PowerError('auth', `flaky BMC ${key} refused the password ${p.password}`, false);
      if (step === 'hang') await new Promise(() => {});
      if (step === 'hang-abortable') {
        await new Promise<void>((_, reject) => ctx?.signal?.addEventListener('abort', () => { rec.aborted = true; reject(new PowerError('timeout', 'aborted', true)); }, { once: true }));
      }
      if (typeof step === 'object' && 'delayMs' in step) await new Promise((r) => setTimeout(r, step.delayMs));
      if (typeof step === 'object' && 'throwPlain' in step) throw new Error(step.throwPlain);
      effect();
    } finally {
      rec.end = Date.now();
      active.set(key, (active.get(key) ?? 1) - 1);
    }
  }

  const command = (bmc: FlakyBmc, p: PowerParams, want: 'on' | 'off') => {
    if (bmc.stuck) return;
    if (bmc.lagQueries > 0) pending.set(p.address, { want, after: bmc.lagQueries });
    else bmc.power.set(p.address, want);
  };

  const bmc: FlakyBmc = {
    name: 'flaky',
    description: 'Flaky BMC test double',
    fields: [
      { name: 'address', label: 'Address', required: true, fieldType: 'string', scope: 'bmc', secret: false },
      { name: 'password', label: 'Password', required: false, fieldType: 'password', scope: 'bmc', secret: true },
    ],
    queryable: true,
    canSetBootDevice: true,
    requiredCommands: [],
    validate: (p) => (p.address ? [] : ['address: This field is required.']),
    bmcKey: (p) => `flaky:${p.address}`,
    lagQueries: 0,
    stuck: false,
    calls: [],
    maxOverlap: new Map(),
    power: new Map(),
    script(op, ...steps) { scripts.set(op, [...(scripts.get(op) ?? []), ...steps]); },
    async powerOn(p, ctx) { await perform(bmc, 'on', p, ctx, () => command(bmc, p, 'on')); return {}; },
    async powerOff(p, ctx) { await perform(bmc, 'off', p, ctx, () => command(bmc, p, 'off')); return {}; },
    async powerCycle(p, ctx) { await perform(bmc, 'cycle', p, ctx, () => command(bmc, p, 'on')); return {}; },
    async setBootDevice(p, _device, ctx) { await perform(bmc, 'boot', p, ctx, () => {}); return {}; },
    async queryState(p, ctx): Promise<PowerState> {
      let state: PowerState = 'unknown';
      await perform(bmc, 'query', p, ctx, () => {
        const pend = pending.get(p.address);
        if (pend && --pend.after <= 0) { bmc.power.set(p.address, pend.want); pending.delete(p.address); }
        state = bmc.power.get(p.address) ?? 'off';
      });
      return state;
    },
  };
  return bmc;
}
