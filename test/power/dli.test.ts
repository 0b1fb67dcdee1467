/** The dli driver against a Digital Loggers switch test double (an HTTP server on loopback; we have no PDU). */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { PowerError } from '../../src/edges/rack/power/driver.ts';
import { dliDriver as driver } from '../../src/edges/rack/power/dli.ts';
import { powerConformance } from './conformance.ts';
import { startSilentListener } from './redfish-sim.ts';

const PASS = 'pdu#pass';
const sim = { outlets: 0, boots: 0 };
const server = createServer((req, res) => {
  if (req.headers.authorization !== `Basic ${Buffer.from(`admin:${PASS}`).toString('base64')}`) { res.statusCode = 401; res.end(); return; }
  const url = new URL(req.url ?? '/', 'http://x');
  if (url.pathname === '/index.htm') { res.end(`<html><!-- state=${sim.outlets.toString(16).padStart(2, '0')} lock=00 --></html>`); return; }
  if (url.pathname === '/outlet') {
    for (const [k, v] of url.searchParams) {
      const bit = 1 << (Number(k) - 1);
      const wasOn = (sim.outlets & bit) !== 0;
      if (v === 'ON') { if (!wasOn) sim.boots++; sim.outlets |= bit; }
      else if (v === 'OFF') sim.outlets &= ~bit;
      else if (v === 'CCL') { sim.outlets |= bit; sim.boots++; }
    }
    res.end('<html>ok</html>');
    return;
  }
  res.statusCode = 404;
  res.end();
});
await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
const silent = await startSilentListener();
after(() => Promise.all([new Promise((ok) => server.close(ok)), silent.stop()]));

const params = { power_address: `127.0.0.1:${(server.address() as { port: number }).port}`, power_user: 'admin', power_pass: PASS, outlet_id: '3' };

powerConformance(driver, params, {
  async observe() { return { power: sim.outlets & 4 ? 'on' : 'off', boots: sim.boots }; },
  async force(p) { sim.outlets = p === 'on' ? sim.outlets | 4 : sim.outlets & ~4; },
  badCredentials: { ...params, power_pass: 'nope' },
  unreachable: { ...params, power_address: silent.address },
  secrets: [PASS],
});

describe('dli driver specifics', () => {
  it('only its own outlet changes; outlet ids are checked offline', async () => {
    sim.outlets = 0b0001;
    await driver.powerOn(params);
    assert.equal(sim.outlets, 0b0101);
    assert.deepEqual(driver.validate({ ...params, outlet_id: '17' }), ["outlet_id must be a whole number from 1 to 16 (got '17')."]);
    await assert.rejects(driver.powerOn({ ...params, outlet_id: 'x' }), (e: unknown) => e instanceof PowerError && e.code === 'invalid');
  });
});
