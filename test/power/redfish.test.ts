/** The Redfish driver against the Redfish test double (redfish-sim.ts) on loopback, over HTTP and HTTPS. */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { PowerError } from '../../src/edges/rack/power/driver.ts';
import { redfishDriver as driver } from '../../src/edges/rack/power/redfish.ts';
import { powerConformance, type Observed } from './conformance.ts';
import { startRedfishSim, startSilentListener, type RedfishSim } from './redfish-sim.ts';

const PASS = 'Rf-s3cret!';
const silent = await startSilentListener();
const plain = await startRedfishSim({ pass: PASS });
const tls = await startRedfishSim({ pass: PASS, tls: true });
const multi = await startRedfishSim({ pass: PASS, systems: ['a', 'b'], allowedResets: ['On', 'ForceOff', 'PowerCycle'] });
after(() => Promise.all([silent.stop(), plain.stop(), tls.stop(), multi.stop()]));

const paramsFor = (sim: RedfishSim, extra: Record<string, string> = {}) => ({ power_address: sim.url, power_user: 'root', power_pass: PASS, ...extra });
function handle(sim: RedfishSim, id = '1') {
  const sys = () => sim.systems.get(id)!;
  return {
    async observe(): Promise<Observed> {
      const s = sys();
      const boot = s.enabled === 'Disabled' ? 'none' : s.target === 'Pxe' ? 'pxe' : s.target === 'Hdd' ? 'disk' : 'other';
      return { power: s.power === 'On' ? 'on' : 'off', boot, boots: s.boots };
    },
    async force(p: 'on' | 'off') { sys().power = p === 'on' ? 'On' : 'Off'; },
    badCredentials: paramsFor(sim, { power_pass: 'not-the-password' }),
    unreachable: { power_address: `http://${silent.address}`, power_user: 'root', power_pass: PASS },
    secrets: [PASS],
  };
}

powerConformance(driver, paramsFor(plain), handle(plain));

describe('redfish driver specifics', () => {
  it('works over HTTPS with a self-signed certificate (BMCs rarely have others)', async () => {
    const sim = handle(tls);
    await sim.force('off');
    await driver.powerOn(paramsFor(tls));
    assert.equal((await sim.observe()).power, 'on');
    assert.equal(await driver.queryState(paramsFor(tls)), 'on');
  });

  it('a bare host:port means https', async () => {
    const hostPort = tls.url.replace('https://', '');
    assert.equal(await driver.queryState(paramsFor(tls, { power_address: hostPort })), 'on');
  });

  it('picks the system by node_id, and refuses to guess among several', async () => {
    multi.systems.get('a')!.power = 'Off';
    multi.systems.get('b')!.power = 'Off';
    await driver.powerOn(paramsFor(multi, { node_id: 'b' }));
    assert.equal(multi.systems.get('b')!.power, 'On');
    assert.equal(multi.systems.get('a')!.power, 'Off');
    await assert.rejects(driver.queryState(paramsFor(multi)), (e: unknown) => e instanceof PowerError && e.code === 'invalid' && !e.retryable && /node_id/.test(e.message));
    await assert.rejects(driver.queryState(paramsFor(multi, { node_id: 'zz' })), (e: unknown) => e instanceof PowerError && e.code === 'invalid');
  });

  it('uses a reset type the BMC allows (PowerCycle when ForceRestart is not offered)', async () => {
    multi.systems.get('a')!.power = 'On';
    multi.requests.length = 0;
    await driver.powerCycle(paramsFor(multi, { node_id: 'a' }));
    const post = multi.requests.find((r) => r.method === 'POST');
    assert.deepEqual(post?.body, { ResetType: 'PowerCycle' });
    await assert.rejects(driver.powerOff(paramsFor(multi, { node_id: 'a' }), undefined, { mode: 'soft' }),
      (e: unknown) => e instanceof PowerError && e.code === 'unsupported' && !e.retryable);
  });

  it('sets the boot override once, sending the ETag as If-Match', async () => {
    plain.requests.length = 0;
    await driver.setBootDevice!(paramsFor(plain), 'disk');
    const patch = plain.requests.find((r) => r.method === 'PATCH');
    assert.ok(patch?.ifMatch, 'If-Match sent');
    assert.deepEqual(patch.body, { Boot: { BootSourceOverrideEnabled: 'Once', BootSourceOverrideTarget: 'Hdd' } });
  });

  it('does not send a reset when the machine is already in the wanted state', async () => {
    plain.systems.get('1')!.power = 'On';
    plain.requests.length = 0;
    const result = await driver.powerOn(paramsFor(plain));
    assert.match(result.note ?? '', /already on/);
    assert.ok(!plain.requests.some((r) => r.method === 'POST'));
  });

  const statusCases: Array<[number, string, boolean]> = [
    [503, 'busy', true], [500, 'bmc', true], [409, 'busy', true], [403, 'auth', false], [404, 'unsupported', false], [400, 'protocol', false],
  ];
  for (const [status, code, retryable] of statusCases) {
    it(`HTTP ${status} is a ${retryable ? '' : 'non-'}retryable ${code} error`, async () => {
      plain.failNext(status);
      await assert.rejects(driver.queryState(paramsFor(plain)), (e: unknown) =>
        e instanceof PowerError && e.code === code && e.retryable === retryable && !e.message.includes(PASS));
    });
  }

  it('a refused connection is a quick retryable unreachable error', async () => {
    const server = createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as { port: number };
    await new Promise<void>((r) => server.close(() => r()));
    const started = Date.now();
    await assert.rejects(driver.queryState({ power_address: `http://127.0.0.1:${port}`, power_user: 'root', power_pass: PASS }),
      (e: unknown) => e instanceof PowerError && e.code === 'unreachable' && e.retryable);
    assert.ok(Date.now() - started < 1000);
  });

  const invalid: Array<[string, Record<string, string>, RegExp]> = [
    ['missing password', { power_address: '10.0.0.1', power_user: 'root' }, /power_pass/],
    ['bad node_id', { power_address: '10.0.0.1', power_user: 'root', power_pass: 'x', node_id: 'a/b' }, /node_id/],
    ['bad address', { power_address: 'http://[oops', power_user: 'root', power_pass: 'x' }, /power_address/],
  ];
  for (const [name, params, re] of invalid) {
    it(`validate: ${name}`, () => {
      const errors = driver.validate(params);
      assert.ok(errors.some((e) => re.test(e)), errors.join('; '));
    });
  }
});
