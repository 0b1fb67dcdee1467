/**
 * The shared power driver conformance suite. Every driver runs it against a simulator of its BMC:
 * status, on, off, cycle, boot device, bad credentials (non-retryable, no secret in the message) and an
 * unreachable BMC (retryable, within a time bound). What the hardware did is read from the simulator's
 * side (`observe`), never through the driver under test.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PowerError, type BootDevice, type PowerDriver, type PowerParams } from '../../src/edges/rack/power/driver.ts';

export interface Observed {
  /** `unknown` when the simulator cannot see the machine (manual power). */
  power: 'on' | 'off' | 'unknown';
  /** Next-boot device as the BMC holds it. */
  boot?: BootDevice | 'none' | 'other';
  /** How many times the machine has started (off→on, or a reset while on). */
  boots: number;
}

export interface SimHandle {
  /** The simulated machine as the simulator sees it. */
  observe(): Promise<Observed>;
  /** Sets the machine's power behind the driver's back (no-op where nothing can be observed). */
  force(power: 'on' | 'off'): Promise<void>;
  /** Parameters that reach the BMC with wrong credentials. */
  badCredentials?: PowerParams;
  /** Parameters that address a BMC that never answers. */
  unreachable?: PowerParams;
  /** Secrets that must never appear in any error message. */
  secrets: string[];
  /** How long the simulated chassis may take to settle after a command (default 0). */
  settleMs?: number;
}

const UNREACHABLE_TIMEOUT_MS = 1500;
const UNREACHABLE_BOUND_MS = 4000;

async function eventually(check: () => Promise<boolean>, withinMs: number): Promise<boolean> {
  const end = Date.now() + withinMs;
  for (;;) {
    if (await check()) return true;
    if (Date.now() > end) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function rejection(p: Promise<unknown>): Promise<PowerError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof PowerError, `expected a PowerError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected the call to fail');
}

function assertNoSecret(err: Error, secrets: readonly string[]) {
  const text = `${err.message}\n${err.stack ?? ''}\n${JSON.stringify(err)}`;
  for (const s of secrets) if (s) assert.ok(!text.includes(s), `a secret leaked into: ${err.message}`);
}

export function powerConformance(driver: PowerDriver, params: PowerParams, sim: SimHandle): void {
  const settle = sim.settleMs ?? 0;
  const blind = async () => (await sim.observe()).power === 'unknown';
  const waitPower = async (want: 'on' | 'off') =>
    assert.ok(await eventually(async () => (await sim.observe()).power === want, settle + 2000), `machine did not turn ${want}`);

  describe(`power driver conformance: ${driver.name}`, () => {
    it('publishes its schema and validates offline', () => {
      assert.match(driver.name, /^[a-z0-9_]+$/);
      assert.ok(driver.description.length > 0);
      for (const f of driver.fields) {
        assert.ok(f.name && f.label, `field ${f.name} has a name and label`);
        if (f.fieldType === 'password') assert.ok(f.secret, `password field ${f.name} is secret`);
        if (f.fieldType === 'choice') assert.ok(f.choices?.length, `choice field ${f.name} lists choices`);
      }
      assert.deepEqual(driver.validate(params), []);
      if (driver.fields.some((f) => f.required && f.default === undefined)) assert.ok(driver.validate({}).length > 0);
      assert.ok(driver.validate({ no_such_parameter: 'x', ...params }).length > 0, 'unknown parameters are refused');
      assert.equal(driver.bmcKey(params), driver.bmcKey({ ...params }), 'bmcKey is a pure function of the parameters');
    });

    it('status: reports the machine state', async () => {
      for (const want of ['off', 'on'] as const) {
        await sim.force(want);
        const state = await driver.queryState(params);
        assert.equal(state, driver.queryable && !(await blind()) ? want : 'unknown');
      }
    });

    it('on: powers the machine on', async () => {
      await sim.force('off');
      const result = await driver.powerOn(params);
      if (await blind()) { assert.ok(result.note, 'an action without control says so in a note'); return; }
      await waitPower('on');
      if (driver.queryable) assert.equal(await driver.queryState(params), 'on');
    });

    it('off: powers the machine off', async () => {
      await sim.force('on');
      const result = await driver.powerOff(params);
      if (await blind()) { assert.ok(result.note); return; }
      await waitPower('off');
      if (driver.queryable) assert.equal(await driver.queryState(params), 'off');
    });

    it('cycle: restarts a running machine and starts a stopped one', async () => {
      for (const from of ['on', 'off'] as const) {
        await sim.force(from);
        const before = (await sim.observe()).boots;
        const result = await driver.powerCycle(params);
        if (await blind()) { assert.ok(result.note); return; }
        assert.ok(await eventually(async () => {
          const o = await sim.observe();
          return o.power === 'on' && o.boots > before;
        }, settle + 3000), `cycle from ${from} did not start the machine`);
      }
    });

    it('boot device: sets the next boot device where supported', async () => {
      if (!driver.canSetBootDevice) {
        assert.equal(driver.setBootDevice, undefined, 'a driver that cannot set the boot device offers no setBootDevice');
        return;
      }
      for (const device of ['pxe', 'disk', 'pxe'] as const) {
        await driver.setBootDevice!(params, device);
        assert.equal((await sim.observe()).boot, device);
      }
    });

    it('bad credentials: a non-retryable auth error without the secret', { skip: !sim.badCredentials && 'no credentials to get wrong' }, async () => {
      const bad = sim.badCredentials!;
      await sim.force('off');
      const calls: Array<[string, () => Promise<unknown>]> = [
        ['queryState', () => driver.queryState(bad)], ['powerOn', () => driver.powerOn(bad)],
      ];
      if (driver.setBootDevice) calls.push(['setBootDevice', () => driver.setBootDevice!(bad, 'pxe')]);
      for (const [name, call] of calls) {
        const err = await rejection(call());
        assert.equal(err.retryable, false, `${name}: ${err.message}`);
        assert.equal(err.code, 'auth', `${name}: ${err.message}`);
        assertNoSecret(err, [...sim.secrets, ...driver.fields.filter((f) => f.secret).map((f) => bad[f.name] ?? '')]);
      }
      assert.equal((await sim.observe()).power, 'off', 'a refused command changes nothing');
    });

    it('unreachable BMC: a retryable error within the time bound', { skip: !sim.unreachable && 'nothing to reach' }, async () => {
      const started = Date.now();
      const err = await rejection(driver.queryState(sim.unreachable!, { timeoutMs: UNREACHABLE_TIMEOUT_MS }));
      const took = Date.now() - started;
      assert.equal(err.retryable, true, err.message);
      assert.ok(['unreachable', 'timeout'].includes(err.code), err.code);
      assert.ok(took < UNREACHABLE_BOUND_MS, `took ${took} ms`);
      assertNoSecret(err, sim.secrets);
    });

    it('unreachable BMC: an abort signal ends the attempt early', { skip: !sim.unreachable && 'nothing to reach' }, async () => {
      const ac = new AbortController();
      const started = Date.now();
      setTimeout(() => ac.abort(), 200);
      const err = await rejection(driver.powerOn(sim.unreachable!, { timeoutMs: 30_000, signal: ac.signal }));
      assert.ok(Date.now() - started < 1500, `took ${Date.now() - started} ms after the abort`);
      assert.equal(err.retryable, true);
    });
  });
}
