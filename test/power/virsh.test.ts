/** The virsh driver against a virsh test double (fake-virsh.sh stands in for libvirt, which we do not run here). */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PowerError } from '../../src/edges/rack/power/driver.ts';
import { createVirshDriver } from '../../src/edges/rack/power/virsh.ts';
import { powerConformance } from './conformance.ts';

const dir = mkdtempSync(join(tmpdir(), 'plinth-virsh-'));
const state = join(dir, 'state');
writeFileSync(state, 'shut off\n0\n');
const PASS = 'virsh-p@ss word';
process.env.FAKE_VIRSH_STATE = state;
process.env.FAKE_VIRSH_DOMAIN = 'vm01';
process.env.FAKE_VIRSH_PASSWORD = PASS;
after(() => rmSync(dir, { recursive: true, force: true }));

const driver = createVirshDriver({ virsh: join(dirname(fileURLToPath(import.meta.url)), 'fake-virsh.sh') });
const params = { power_address: 'qemu+ssh://ops@hv1/system', power_pass: PASS, power_id: 'vm01' };
const read = () => readFileSync(state, 'utf8').split('\n');

powerConformance(driver, params, {
  async observe() { const [s, boots] = read(); return { power: s === 'running' ? 'on' : 'off', boots: Number(boots) }; },
  async force(p) { const [, boots] = read(); writeFileSync(state, `${p === 'on' ? 'running' : 'shut off'}\n${boots}\n`); },
  badCredentials: { ...params, power_pass: 'wrong' },
  unreachable: { ...params, power_address: 'qemu+ssh://ops@unreachable/system' },
  secrets: [PASS],
});

describe('virsh driver specifics', () => {
  it('an unknown domain is a permanent error; the URI and id are validated offline', async () => {
    await assert.rejects(driver.queryState({ ...params, power_id: 'vm99' }), (e: unknown) => e instanceof PowerError && e.code === 'invalid' && !e.retryable);
    assert.deepEqual(driver.validate({ ...params, power_address: 'hv1' }), ['power_address must be a libvirt URI such as qemu+ssh://user@host/system.']);
    assert.ok(driver.validate({ ...params, power_id: 'vm 1; rm -rf /' }).length > 0);
  });
});
