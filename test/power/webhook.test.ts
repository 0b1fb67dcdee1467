/** The webhook driver against the webhook test double (webhook-sim.ts) on loopback. */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PowerError } from '../../src/edges/rack/power/driver.ts';
import { webhookDriver as driver } from '../../src/edges/rack/power/webhook.ts';
import { powerConformance } from './conformance.ts';
import { startSilentListener } from './redfish-sim.ts';
import { startWebhookSim, type WebhookSim } from './webhook-sim.ts';

const TOKEN = 'tok-3f9a-secret';
const PASS = 'hook-pass#1';
const silent = await startSilentListener();
const bearer = await startWebhookSim({ token: TOKEN, offDelayMs: 300 });
const basic = await startWebhookSim({ user: 'ops', pass: PASS });
after(() => Promise.all([silent.stop(), bearer.stop(), basic.stop()]));

const uris = (base: string) => ({ power_on_uri: `${base}/on`, power_off_uri: `${base}/off`, power_query_uri: `${base}/status` });
const tokenParams = { ...uris(bearer.url), power_token: TOKEN };
const basicParams = { ...uris(basic.url), power_user: 'ops', power_pass: PASS };
const handle = (sim: WebhookSim) => ({
  async observe() { return { power: sim.state.power, boots: sim.state.boots }; },
  async force(p: 'on' | 'off') { sim.state.power = p; },
  secrets: [TOKEN, PASS],
  settleMs: 500,
});

powerConformance(driver, tokenParams, {
  ...handle(bearer),
  badCredentials: { ...tokenParams, power_token: 'wrong-token' },
  unreachable: { ...uris(`http://${silent.address}`), power_token: TOKEN },
});

describe('webhook driver specifics', () => {
  it('Basic credentials when there is no token', async () => {
    basic.state.power = 'off';
    await driver.powerOn(basicParams);
    assert.equal(basic.state.power, 'on');
    assert.match(basic.requests.at(-1)!.authorization ?? '', /^Basic /);
    await assert.rejects(driver.queryState({ ...basicParams, power_pass: 'nope' }), (e: unknown) =>
      e instanceof PowerError && e.code === 'auth' && !e.retryable && !e.message.includes(PASS) && !e.message.includes('nope'));
  });

  it('the token wins over user and password (Bearer)', async () => {
    await driver.queryState({ ...tokenParams, power_user: 'ops', power_pass: PASS });
    assert.equal(bearer.requests.at(-1)!.authorization, `Bearer ${TOKEN}`);
  });

  it('power cycle waits for a slow power off before powering on again', async () => {
    bearer.state.power = 'on';
    const before = bearer.state.boots;
    await driver.powerCycle(tokenParams);
    assert.equal(bearer.state.power, 'on');
    assert.equal(bearer.state.boots, before + 1);
    const methods = bearer.requests.slice(-4).map((r) => `${r.method} ${r.path}`);
    assert.deepEqual(methods.at(-1), 'POST /on');
    assert.ok(bearer.requests.filter((r) => r.path === '/status').length >= 2);
  });

  const bodies: Array<[string, Record<string, string>, string]> = [
    ['{"status": "running"}', {}, 'on'],
    ['{"status": "stopped"}', {}, 'off'],
    ['{"status": "rebooting"}', {}, 'unknown'],
    ['power=ON', { power_on_regex: 'power=ON', power_off_regex: 'power=OFF' }, 'on'],
    ['power=OFF', { power_on_regex: 'power=ON', power_off_regex: 'power=OFF' }, 'off'],
  ];
  for (const [body, regexes, want] of bodies) {
    it(`query answer ${body} with ${JSON.stringify(regexes)} means ${want}`, async () => {
      bearer.statusBody = body;
      try {
        assert.equal(await driver.queryState({ ...tokenParams, ...regexes }), want);
      } finally {
        bearer.statusBody = undefined;
      }
    });
  }

  it('HTTP 503 is retryable, 404 is not', async () => {
    bearer.failNext(503);
    await assert.rejects(driver.powerOn(tokenParams), (e: unknown) => e instanceof PowerError && e.retryable && e.code === 'busy');
    bearer.failNext(404);
    await assert.rejects(driver.powerOn(tokenParams), (e: unknown) => e instanceof PowerError && !e.retryable);
  });

  it('verify_ssl=y refuses an unverifiable certificate without retrying', async () => {
    const { startRedfishSim } = await import('./redfish-sim.ts');
    const tls = await startRedfishSim({ tls: true });
    try {
      const p = { ...uris(tls.url), power_token: TOKEN, power_verify_ssl: 'y' };
      await assert.rejects(driver.queryState(p), (e: unknown) => e instanceof PowerError && e.code === 'invalid' && !e.retryable);
      // With verification off the TLS handshake succeeds and the server answers (401: it is a Redfish double).
      await assert.rejects(driver.queryState({ ...p, power_verify_ssl: 'n' }), (e: unknown) => e instanceof PowerError && e.code === 'auth');
    } finally {
      await tls.stop();
    }
  });

  const invalid: Array<[string, Record<string, string>, RegExp]> = [
    ['missing URIs', {}, /power_on_uri/],
    ['not a URL', { ...tokenParams, power_query_uri: 'status' }, /power_query_uri/],
    ['bad regex', { ...tokenParams, power_on_regex: '(' }, /power_on_regex/],
    ['credentials in the URI', { ...tokenParams, power_on_uri: 'http://u:p@127.0.0.1/on' }, /credentials/],
    ['bad verify_ssl', { ...tokenParams, power_verify_ssl: 'maybe' }, /power_verify_ssl/],
  ];
  for (const [name, params, re] of invalid) {
    it(`validate: ${name}`, () => {
      const errors = driver.validate(params);
      assert.ok(errors.some((e) => re.test(e)), errors.join('; '));
    });
  }
});
