/**
 * The IPMI driver against OpenIPMI's ipmi_sim inside a network namespace (see ipmi-sim.ts). FreeIPMI
 * runs inside the namespace through the driver's commandPrefix (`ip netns exec`).
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PowerError } from '../../src/edges/rack/power/driver.ts';
import { createIpmiDriver } from '../../src/edges/rack/power/ipmi.ts';
import { randomPassword, userCommands } from '../../src/agent/commands/bmc.ts';
import { execFileSync } from 'node:child_process';
import { powerConformance } from './conformance.ts';
import { BMC_ADDRESS, BMC_PASS, BMC_USER, SILENT_ADDRESS, canRunIpmiSim, startIpmiSim } from './ipmi-sim.ts';

const cannot = canRunIpmiSim();
if (cannot) {
  it('ipmi driver against ipmi_sim', { skip: cannot }, () => {});
} else {
  const sim = await startIpmiSim();
  const secretsDir = mkdtempSync(join(tmpdir(), 'plinth-ipmi-secrets-'));
  after(async () => {
    await sim.stop();
    rmSync(secretsDir, { recursive: true, force: true });
  });
  const driver = createIpmiDriver({ commandPrefix: ['ip', 'netns', 'exec', sim.ns], tmpDir: secretsDir });
  const params = { power_driver: 'LAN_2_0', power_address: BMC_ADDRESS, power_user: BMC_USER, power_pass: BMC_PASS };

  powerConformance(driver, params, {
    observe: () => sim.observe(),
    force: (p) => sim.force(p),
    badCredentials: { ...params, power_pass: 'Wrong#Secret1' },
    unreachable: { ...params, power_address: SILENT_ADDRESS },
    secrets: [BMC_PASS],
    settleMs: 1500, // ipmi_sim powers back on one second after the "off" half of a cycle
  });

  describe('ipmi driver specifics', () => {
    it('soft power off goes through ACPI shutdown (power_off_mode=soft, or the call option)', async () => {
      for (const [p, opts] of [[{ ...params, power_off_mode: 'soft' }, undefined], [params, { mode: 'soft' as const }]] as const) {
        await sim.force('on');
        const result = await driver.powerOff(p, undefined, opts);
        assert.match(result.note ?? '', /soft/i);
        assert.ok(sim.log().at(-1)?.startsWith('set shutdown 1'), sim.log().at(-1));
        assert.equal((await sim.observe()).power, 'off');
      }
    });

    it('IPMI 1.5 (power_driver LAN) works too', async () => {
      await sim.force('on');
      assert.equal(await driver.queryState({ ...params, power_driver: 'LAN' }), 'on');
    });

    it('a privilege level too low for the command is a non-retryable auth error', async () => {
      await sim.force('off');
      const err = await driver.powerOn({ ...params, privilege_level: 'USER' }).then(() => assert.fail('expected a refusal'), (e: unknown) => e);
      assert.ok(err instanceof PowerError);
      assert.equal(err.code, 'auth', err.message);
      assert.equal(err.retryable, false);
      assert.equal((await sim.observe()).power, 'off');
    });

    it('an unknown user is a non-retryable auth error', async () => {
      await assert.rejects(driver.powerOff({ ...params, power_user: 'nobody' }), (e: unknown) => e instanceof PowerError && e.code === 'auth' && !e.retryable);
    });

    it('power_boot_type efi is accepted with the boot device', async () => {
      await driver.setBootDevice!({ ...params, power_boot_type: 'efi' }, 'disk');
      assert.equal((await sim.observe()).boot, 'disk');
    });

    it('keeps secrets off the command line: a 0600 file in a private directory, removed afterwards', async () => {
      // A recording wrapper in front of the real ipmipower: it notes its argv and the secrets file's
      // permissions and text at the moment FreeIPMI would read them, then runs ipmipower itself.
      const record = join(sim.dir, 'ipmipower-recorder.log');
      const wrapper = join(sim.dir, 'ipmipower-recorder.sh');
      writeFileSync(wrapper, [
        '#!/bin/sh',
        `log=${record}`,
        'for a in "$@"; do printf "arg %s\\n" "$a" >> "$log"; case "$a" in --config-file=*) f="${a#--config-file=}";; esac; done',
        'printf "mode %s %s\\n" "$(stat -c %a "$f")" "$(stat -c %a "$(dirname "$f")")" >> "$log"',
        'sed "s/^/file /" "$f" >> "$log"',
        'exec ipmipower "$@"',
        '',
      ].join('\n'), { mode: 0o700 });
      try {
        const recorded = createIpmiDriver({ commandPrefix: ['ip', 'netns', 'exec', sim.ns], tmpDir: secretsDir, ipmipower: wrapper });
        await sim.force('on');
        assert.equal(await recorded.queryState(params), 'on');
        const log = readFileSync(record, 'utf8').split('\n');
        const args = log.filter((l) => l.startsWith('arg ')).join(' ');
        assert.match(args, /--config-file=/);
        assert.match(args, /--stat/);
        assert.ok(!args.includes(BMC_PASS), `password on the command line: ${args}`);
        assert.ok(log.includes('mode 600 700'), log.join('; '));
        assert.ok(log.includes('file password "Pl\\#nth\\\\pw42"'), 'the secrets file carries the escaped password');
        assert.deepEqual(readdirSync(secretsDir), [], 'the private directory is removed after the call');
      } finally {
        rmSync(record, { force: true });
      }
    });

    it('an error FreeIPMI reports with exit status 0 is still an error', async () => {
      // Cipher suite 17 is not offered by this FreeIPMI/ipmi_sim pair; FreeIPMI exits 0 on it, so the
      // driver must read the output to notice.
      const err = await driver.queryState({ ...params, cipher_suite_id: '17' }).then(() => undefined, (e: unknown) => e);
      assert.ok(err instanceof PowerError, 'a refused cipher suite is an error even though ipmipower exits 0');
    });

    it('the BMC user enlistment creates (agent userCommands, random password) drives power over RMCP+', async () => {
      // The agent runs these in-band; over the LAN as the BMC's admin they reach the same BMC commands.
      const password = randomPassword();
      for (const args of userCommands(1, 5, password)) {
        execFileSync('ip', ['netns', 'exec', sim.ns, 'ipmitool', '-I', 'lanplus', '-H', BMC_ADDRESS, '-U', BMC_USER, '-P', BMC_PASS, '-C', '3', ...args], { stdio: 'pipe' });
      }
      await sim.force('off');
      const maas = { power_driver: 'LAN_2_0', power_address: BMC_ADDRESS, power_user: 'maas', power_pass: password };
      assert.equal(await driver.queryState(maas), 'off');
      await driver.powerOn(maas);
      assert.equal((await sim.observe()).power, 'on');
    });
  });
}
