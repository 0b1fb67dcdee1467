/**
 * PowerService: per-BMC serialisation, retries with exponential backoff, the per-command time bound and
 * verify-after-set, driven through a flaky BMC test double (flaky-bmc.ts) and the real manual driver.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PowerError } from '../../src/edges/rack/power/driver.ts';
import { manualDriver } from '../../src/edges/rack/power/manual.ts';
import { PowerService, type PowerEvent, type PowerServiceOptions } from '../../src/edges/rack/power/service.ts';
import { createFlakyBmc } from './flaky-bmc.ts';

const FAST: PowerServiceOptions = {
  attempts: 4, backoff: { initialMs: 10, factor: 2, maxMs: 1000, jitter: 0 },
  commandTimeoutMs: 200, releaseGraceMs: 100, verifyTimeoutMs: 150, verifyIntervalMs: 10,
};

function setup(opts: PowerServiceOptions = {}) {
  const bmc = createFlakyBmc();
  const events: PowerEvent[] = [];
  const service = new PowerService({ ...FAST, drivers: [bmc, manualDriver], onEvent: (e) => events.push(e), ...opts });
  return { bmc, events, service };
}
const at = (address: string) => ({ address, password: 'Pa55-secret' });
const failure = (p: Promise<unknown>) => p.then(() => assert.fail('expected a failure'), (e: unknown) => {
  assert.ok(e instanceof PowerError, String(e));
  return e;
});

describe('PowerService retries and backoff', () => {
  it('retries retryable failures with growing delays, then succeeds', async () => {
    const { bmc, events, service } = setup();
    bmc.script('on', 'retryable', 'retryable');
    const out = await service.execute({ powerType: 'flaky', params: at('a'), action: 'on' });
    assert.deepEqual(out, { state: 'on', attempts: 3, note: undefined });
    assert.deepEqual(events.filter((e) => e.type === 'retry').map((e) => (e as { delayMs: number }).delayMs), [10, 20]);
    const ons = bmc.calls.filter((c) => c.op === 'on');
    assert.ok(ons[2].start - ons[1].end! >= 18, 'the second wait is at least the second delay');
  });

  it('does not retry a non-retryable failure, and keeps the secret out of the message', async () => {
    const { bmc, service } = setup();
    bmc.script('off', 'fatal');
    const err = await failure(service.execute({ powerType: 'flaky', params: at('a'), action: 'off' }));
    assert.equal(err.code, 'auth');
    assert.equal(bmc.calls.filter((c) => c.op === 'off').length, 1);
    assert.ok(!err.message.includes('Pa55-secret'), err.message);
  });

  it('gives up after the configured attempts and says so', async () => {
    const { bmc, service } = setup({ attempts: 3 });
    bmc.script('query', 'retryable', 'retryable', 'retryable', 'retryable');
    const err = await failure(service.execute({ powerType: 'flaky', params: at('a'), action: 'query' }));
    assert.equal(err.retryable, true);
    assert.match(err.message, /gave up after 3 attempts/);
    assert.equal(bmc.calls.length, 3);
  });

  it('a driver bug (a plain Error) is not retried and is scrubbed', async () => {
    const { bmc, service } = setup();
    bmc.script('on', { throwPlain: 'boom with Pa55-secret inside' });
    const err = await failure(service.execute({ powerType: 'flaky', params: at('a'), action: 'on' }));
    assert.equal(err.retryable, false);
    assert.ok(!err.message.includes('Pa55-secret'));
    assert.equal(bmc.calls.length, 1);
  });

  const delays: Array<[number, number, number]> = [[1, 0.5, 1000], [2, 0.5, 2000], [3, 0.5, 4000], [6, 0.5, 30_000], [1, 0, 800], [1, 0.999999, 1200]];
  for (const [retry, random, want] of delays) {
    it(`backoff before retry ${retry} with random ${random} is ${want} ms`, () => {
      const s = new PowerService({ backoff: { initialMs: 1000, factor: 2, maxMs: 30_000, jitter: 0.2 }, random: () => random });
      assert.equal(s.backoffDelay(retry), want);
    });
  }
});

describe('PowerService time bound', () => {
  it('answers a hung call at the bound, retries, and keeps the BMC until the grace period ends', async () => {
    const { bmc, service } = setup({ attempts: 2 });
    bmc.script('on', 'hang', 'hang');
    const started = Date.now();
    const err = await failure(service.execute({ powerType: 'flaky', params: at('a'), action: 'on' }));
    assert.equal(err.code, 'timeout');
    const took = Date.now() - started;
    // Two bounded attempts (200 ms each), a grace wait (100 ms) before the retry, one backoff (10 ms).
    assert.ok(took >= 500 && took < 1500, `took ${took} ms`);
    const [first, second] = bmc.calls;
    assert.ok(second.start - first.start >= 300, 'the retry waited for the grace period after the hung call');
    // Another command for the same BMC also waits for the grace period after the last hung call.
    const t = Date.now();
    await service.execute({ powerType: 'flaky', params: at('a'), action: 'query' });
    assert.ok(Date.now() - t >= 80, 'the next command waited for the grace period');
  });

  it('aborts a call that honours the signal, so the BMC is free at once', async () => {
    const { bmc, service } = setup({ attempts: 1, releaseGraceMs: 2000 });
    bmc.script('off', 'hang-abortable');
    await failure(service.execute({ powerType: 'flaky', params: at('a'), action: 'off' }));
    assert.equal(bmc.calls[0].aborted, true);
    const t = Date.now();
    await service.execute({ powerType: 'flaky', params: at('a'), action: 'query' });
    assert.ok(Date.now() - t < 1000, 'did not wait for the 2 s grace period');
  });

  it('a caller can cancel a queued command; it never reaches the BMC', async () => {
    const { bmc, service } = setup();
    bmc.script('on', { delayMs: 100 });
    const first = service.execute({ powerType: 'flaky', params: at('a'), action: 'on', verify: false });
    const ac = new AbortController();
    const second = service.execute({ powerType: 'flaky', params: at('a'), action: 'off', signal: ac.signal });
    ac.abort();
    await failure(second);
    await first;
    assert.deepEqual(bmc.calls.map((c) => c.op), ['on']);
  });
});

describe('PowerService per-BMC serialisation', () => {
  it('runs one command at a time per BMC, in arrival order, and BMCs in parallel', async () => {
    const { bmc, service } = setup();
    const jobs = [];
    for (let i = 0; i < 4; i++) {
      for (const address of ['a', 'b']) {
        bmc.script(i % 2 ? 'off' : 'on', { delayMs: 30 });
        jobs.push(service.execute({ powerType: 'flaky', params: at(address), action: i % 2 ? 'off' : 'on', verify: false }));
      }
    }
    await Promise.all(jobs);
    assert.equal(bmc.maxOverlap.get('a'), 1);
    assert.equal(bmc.maxOverlap.get('b'), 1);
    assert.deepEqual(bmc.calls.filter((c) => c.bmc === 'a').map((c) => c.op), ['on', 'off', 'on', 'off']);
    const overlapping = bmc.calls.some((x) => x.bmc === 'a' && bmc.calls.some((y) => y.bmc === 'b' && y.start < x.end! && x.start < y.end!));
    assert.ok(overlapping, 'commands for BMCs a and b ran at the same time');
    const a = bmc.calls.filter((c) => c.bmc === 'a');
    for (let i = 1; i < a.length; i++) assert.ok(a[i].start >= a[i - 1].end!, 'no overlap on one BMC');
  });

  it('a failing command does not block the next one for the same BMC', async () => {
    const { bmc, service } = setup({ attempts: 1 });
    bmc.script('on', 'fatal');
    const results = await Promise.allSettled([
      service.execute({ powerType: 'flaky', params: at('a'), action: 'on' }),
      service.execute({ powerType: 'flaky', params: at('a'), action: 'query' }),
    ]);
    assert.deepEqual(results.map((r) => r.status), ['rejected', 'fulfilled']);
  });
});

describe('PowerService verify-after-set', () => {
  const table: Array<[string, 'on' | 'off' | 'cycle', number]> = [['on', 'on', 3], ['off', 'off', 2], ['cycle', 'cycle', 4]];
  for (const [name, action, lag] of table) {
    it(`${name}: polls until the machine shows the new state (${lag} queries late)`, async () => {
      const { bmc, service } = setup();
      bmc.power.set('a', action === 'on' || action === 'cycle' ? 'off' : 'on');
      bmc.lagQueries = lag;
      const out = await service.execute({ powerType: 'flaky', params: at('a'), action });
      assert.equal(out.state, action === 'off' ? 'off' : 'on');
      assert.equal(out.attempts, 1);
      assert.equal(bmc.calls.filter((c) => c.op === 'query').length, lag);
    });
  }

  it('retries the whole action when the state never follows, then fails with a verify error', async () => {
    const { bmc, service } = setup({ attempts: 2 });
    bmc.stuck = true;
    const err = await failure(service.execute({ powerType: 'flaky', params: at('a'), action: 'on' }));
    assert.equal(err.code, 'verify');
    assert.match(err.message, /did not report on within 150 ms \(last: off\)/);
    assert.equal(bmc.calls.filter((c) => c.op === 'on').length, 2);
  });

  it('keeps polling through a retryable query failure', async () => {
    const { bmc, service } = setup();
    bmc.script('query', 'retryable');
    const out = await service.execute({ powerType: 'flaky', params: at('a'), action: 'on' });
    assert.equal(out.state, 'on');
    assert.equal(bmc.calls.filter((c) => c.op === 'query').length, 2);
  });

  it('a hung verify query is bounded, and the next poll waits for it to be released', async () => {
    const { bmc, service } = setup({ verifyTimeoutMs: 2000 });
    bmc.script('query', 'hang');
    const out = await service.execute({ powerType: 'flaky', params: at('a'), action: 'on' });
    assert.equal(out.state, 'on');
    assert.equal(out.attempts, 1);
    const [hung, next] = bmc.calls.filter((c) => c.op === 'query');
    assert.ok(next.start - hung.start >= 280, `the next poll waited for the bound and the grace (${next.start - hung.start} ms)`);
  });

  it('skips verification for a driver that cannot query (manual)', async () => {
    const { service } = setup();
    const out = await service.execute({ powerType: 'manual', params: {}, action: 'on' });
    assert.equal(out.state, 'unknown');
    assert.match(out.note ?? '', /Manual/);
  });
});

describe('PowerService requests it refuses up front', () => {
  const cases: Array<[string, Parameters<PowerService['execute']>[0], string]> = [
    ['unknown power type', { powerType: 'nope', params: {}, action: 'on' }, 'invalid'],
    ['invalid parameters', { powerType: 'flaky', params: {}, action: 'on' }, 'invalid'],
    ['boot device on a driver without it', { powerType: 'manual', params: {}, action: 'boot', bootDevice: 'pxe' }, 'unsupported'],
    ['boot without a device', { powerType: 'flaky', params: at('a'), action: 'boot' }, 'invalid'],
  ];
  for (const [name, req, code] of cases) {
    it(name, async () => {
      const { bmc, service } = setup();
      const err = await failure(service.execute(req));
      assert.equal(err.code, code);
      assert.equal(err.retryable, false);
      assert.equal(bmc.calls.length, 0);
    });
  }

  it('sets the boot device through the driver', async () => {
    const { bmc, service } = setup();
    const out = await service.execute({ powerType: 'flaky', params: at('a'), action: 'boot', bootDevice: 'pxe' });
    assert.equal(out.attempts, 1);
    assert.deepEqual(bmc.calls.map((c) => c.op), ['boot']);
  });
});
