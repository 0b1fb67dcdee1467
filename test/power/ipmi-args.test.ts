/** The pure parts of the IPMI driver: FreeIPMI arguments, the secrets file, boot flags, output reading. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { bootFlagsText, classifyIpmiMessage, commonArgs, confValue, configFileText, ipmipowerMessage, sessionTimeoutMs } from '../../src/edges/rack/power/ipmi-args.ts';

describe('ipmi arguments', () => {
  const quoting: Array<[string, string]> = [
    ['plain', '"plain"'], ['with space', '"with space"'], ['a#b', '"a\\#b"'], ['back\\slash', '"back\\\\slash"'], ['q"uote', '"q\\"uote"'],
  ];
  for (const [raw, want] of quoting) it(`config value ${JSON.stringify(raw)}`, () => assert.equal(confValue(raw), want));

  it('puts secrets in the file and never on argv', () => {
    const p = { power_driver: 'LAN_2_0', power_address: '10.0.0.9', power_user: 'admin', power_pass: 'Sup3r', k_g: 'KeyG', cipher_suite_id: '3', privilege_level: 'ADMIN', workaround_flags: 'opensesspriv,authcap' };
    const argv = commonArgs(p, '/run/x/freeipmi.conf', 10_000);
    assert.ok(!argv.join(' ').includes('Sup3r') && !argv.join(' ').includes('KeyG'));
    assert.deepEqual(argv.slice(0, 7), ['--config-file=/run/x/freeipmi.conf', '--driver-type=LAN_2_0', '--hostname=10.0.0.9', '--username=admin',
      '--cipher-suite-id=3', '--privilege-level=ADMIN', '--workaround-flags=opensesspriv,authcap']);
    assert.match(configFileText(p), /^password "Sup3r"$/m);
    assert.match(configFileText(p), /^k_g "KeyG"$/m);
  });

  it('omits what is not set: no cipher for IPMI 1.5 or the FreeIPMI default, OPERATOR by default', () => {
    const argv = commonArgs({ power_driver: 'LAN', power_address: 'h', cipher_suite_id: '3', workaround_flags: '' }, '/f', 5000);
    assert.ok(!argv.some((a) => a.startsWith('--cipher-suite-id') || a.startsWith('--workaround-flags') || a.startsWith('--username')));
    assert.ok(argv.includes('--privilege-level=OPERATOR'));
    assert.ok(!commonArgs({ power_address: 'h', cipher_suite_id: '' }, '/f', 5000).some((a) => a.startsWith('--cipher-suite-id')));
  });

  const timeouts: Array<[number, number]> = [[100, 500], [1500, 1000], [10_000, 9500], [60_000, 20_000]];
  for (const [attempt, session] of timeouts) it(`session timeout for a ${attempt} ms attempt is ${session} ms`, () => assert.equal(sessionTimeoutMs(attempt), session));

  it('boot flags: next boot only, with the BIOS boot type when chosen', () => {
    assert.equal(bootFlagsText('pxe', 'auto'), 'Section Chassis_Boot_Flags\n\tBoot_Flags_Persistent No\n\tBoot_Device PXE\nEndSection\n');
    assert.match(bootFlagsText('disk', 'efi'), /BIOS_Boot_Type EFI\n\tBoot_Device HARD-DRIVE/);
    assert.match(bootFlagsText('disk', 'legacy'), /BIOS_Boot_Type PC-COMPATIBLE/);
  });

  const messages: Array<[string, string, boolean]> = [
    ['password invalid', 'auth', false], ['username invalid', 'auth', false], ['k_g invalid', 'auth', false],
    ['password verification timeout', 'auth', false], ['privilege level cannot be obtained for this user', 'auth', false],
    ["'on' requires atleast operator privilege", 'auth', false], ['cipher suite id unavailable', 'invalid', false],
    ['connection timeout', 'unreachable', true], ['session timeout', 'unreachable', true], ['BMC busy', 'busy', true],
    ['BMC error', 'bmc', true], ['ERROR: Failed to commit `Chassis_Boot_Flags:Boot_Device\': Invalid/Unsupported Config', 'unsupported', false],
    ['something new', 'bmc', true],
  ];
  for (const [text, code, retryable] of messages) {
    it(`FreeIPMI "${text}" → ${code}${retryable ? ' (retryable)' : ''}`, () => {
      const e = classifyIpmiMessage(text, 'power on', '10.0.0.9');
      assert.equal(e.code, code);
      assert.equal(e.retryable, retryable);
      assert.match(e.message, /^IPMI power on at 10\.0\.0\.9 failed: /);
    });
  }

  it('reads the message of an ipmipower host line', () => {
    assert.equal(ipmipowerMessage('10.215.0.2: on\n'), 'on');
    assert.equal(ipmipowerMessage('fe80::1: connection timeout\n'), 'connection timeout');
    assert.equal(ipmipowerMessage('\n'), undefined);
  });
});
