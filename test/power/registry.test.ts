/** The driver registry, describe_power_types, listings without secrets, and offline validation tables. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { POWER_TYPES } from '../../src/domain/power/schemas.ts';
import type { PowerDriver } from '../../src/edges/rack/power/driver.ts';
import { scrub } from '../../src/edges/rack/power/driver.ts';
import { manualDriver } from '../../src/edges/rack/power/manual.ts';
import { POWER_DRIVERS, SECRET_MASK, describePowerTypes, detectMissingPackages, findDriver, paramsForListing } from '../../src/edges/rack/power/registry.ts';

describe('power driver registry', () => {
  it('lists each driver once, and every domain power type has a driver (one schema, one list)', () => {
    const names = POWER_DRIVERS.map((d) => d.name);
    assert.deepEqual([...new Set(names)], names);
    assert.deepEqual([...names].sort(), POWER_TYPES.map((t) => t.name).sort());
    for (const d of POWER_DRIVERS) {
      assert.equal(findDriver(d.name), d);
      assert.equal(d.fields, POWER_TYPES.find((t) => t.name === d.name)!.fields, `${d.name} publishes the domain schema`);
      assert.equal(typeof d.setBootDevice === 'function', d.canSetBootDevice, `${d.name}: canSetBootDevice matches setBootDevice`);
    }
    assert.equal(findDriver('nope'), undefined);
  });

  it("describe_power_types has MAAS's shape", () => {
    const described = describePowerTypes();
    assert.deepEqual(described.map((d) => d.name), POWER_DRIVERS.map((d) => d.name));
    for (const d of described) {
      assert.deepEqual(Object.keys(d).sort(), ['can_probe', 'chassis', 'description', 'fields', 'missing_packages', 'name', 'queryable'].sort());
      for (const f of d.fields) assert.deepEqual(Object.keys(f).sort(), ['choices', 'default', 'field_type', 'label', 'name', 'required', 'scope', 'secret']);
    }
    const ipmi = described.find((d) => d.name === 'ipmi')!;
    const field = (n: string) => ipmi.fields.find((f) => f.name === n)!;
    assert.deepEqual(field('power_driver').choices, [['LAN', 'LAN [IPMI 1.5]'], ['LAN_2_0', 'LAN_2_0 [IPMI 2.0]']]);
    assert.equal(field('power_driver').default, 'LAN_2_0');
    assert.equal(field('cipher_suite_id').default, '3');
    assert.deepEqual(field('workaround_flags').default, ['opensesspriv']);
    assert.equal(field('power_pass').secret, true);
    assert.equal(field('power_pass').field_type, 'password');
    assert.equal(field('mac_address').scope, 'node');
    assert.deepEqual(field('power_address').choices, []);
    assert.equal(ipmi.queryable, true);
    assert.equal(described.find((d) => d.name === 'manual')!.queryable, false);
    assert.deepEqual(describePowerTypes(POWER_DRIVERS, { ipmi: ['freeipmi-tools'] }).find((d) => d.name === 'ipmi')!.missing_packages, ['freeipmi-tools']);
  });

  it('reports missing Debian packages by looking for the commands', async () => {
    const needy: PowerDriver = { ...manualDriver, name: 'needy', requiredCommands: [{ command: 'plinth-no-such-command-xyz', package: 'plinth-missing' }, { command: 'sh', package: 'dash' }] };
    assert.deepEqual(await detectMissingPackages([needy, manualDriver]), { needy: ['plinth-missing'] });
  });

  const listings: Array<[string, Record<string, string>, 'strip' | 'mark', Record<string, string>]> = [
    ['ipmi', { power_address: '10.0.0.1', power_user: 'u', power_pass: 'p', k_g: 'k' }, 'mark', { power_address: '10.0.0.1', power_user: 'u', power_pass: SECRET_MASK, k_g: SECRET_MASK }],
    ['ipmi', { power_address: '10.0.0.1', power_pass: 'p' }, 'strip', { power_address: '10.0.0.1' }],
    ['webhook', { power_on_uri: 'http://x/on', power_token: 't', power_pass: 'p' }, 'strip', { power_on_uri: 'http://x/on' }],
    ['ipmi', { power_address: '10.0.0.1', surprise: 'maybe-secret' }, 'mark', { power_address: '10.0.0.1', surprise: SECRET_MASK }],
    ['no-such-type', { anything: 'x' }, 'strip', {}],
  ];
  for (const [type, params, mode, want] of listings) {
    it(`listing ${type} ${JSON.stringify(params)} (${mode})`, () => assert.deepEqual(paramsForListing(type, params, mode), want));
  }

  const scrubs: Array<[string, string[], string]> = [
    ['bad pass s3cret here', ['s3cret'], 'bad pass ******** here'],
    ['url http://h/?t=a%2Fb', ['a/b'], 'url http://h/?t=********'],
    ['nothing', [''], 'nothing'],
  ];
  for (const [text, secrets, want] of scrubs) it(`scrub ${JSON.stringify(text)}`, () => assert.equal(scrub(text, secrets), want));
});

describe('offline validation', () => {
  const ipmi = findDriver('ipmi')!;
  const base = { power_address: '10.0.0.5', power_user: 'admin', power_pass: 'Qz9!secret' };
  const cases: Array<[string, Record<string, string>, RegExp | null]> = [
    ['minimal LAN_2_0', base, null],
    ['hostname address', { ...base, power_address: 'bmc-7.example' }, null],
    ['missing address', { power_user: 'a' }, /power_address/],
    ['option-like address', { ...base, power_address: '-oProxy' }, /power_address/],
    ['bad driver', { ...base, power_driver: 'LAN_3' }, /power_driver/],
    ['password too long for 2.0', { ...base, power_pass: 'x'.repeat(21) }, /power_pass.*20/],
    ['password too long for 1.5', { ...base, power_driver: 'LAN', power_pass: 'x'.repeat(17) }, /power_pass.*16/],
    ['newline in password', { ...base, power_pass: 'a\nb' }, /power_pass/],
    ['k_g with IPMI 1.5', { ...base, power_driver: 'LAN', k_g: 'key' }, /k_g/],
    ['hex k_g', { ...base, k_g: `0x${'ab'.repeat(20)}` }, null],
    ['bad hex k_g', { ...base, k_g: '0xZZ' }, /k_g/],
    ['unknown workaround', { ...base, workaround_flags: 'opensesspriv,bogus' }, /workaround_flags/],
    ['bad cipher', { ...base, cipher_suite_id: '99' }, /cipher_suite_id/],
    ['freeipmi default cipher', { ...base, cipher_suite_id: '' }, null],
    ['user too long', { ...base, power_user: 'u'.repeat(17) }, /power_user/],
  ];
  for (const [name, params, re] of cases) {
    it(`ipmi: ${name}`, () => {
      const errors = ipmi.validate(params);
      if (re === null) assert.deepEqual(errors, []);
      else assert.ok(errors.some((e) => re.test(e)), errors.join('; ') || 'no errors');
      if (params.power_pass) for (const e of errors) assert.ok(!e.includes(params.power_pass), 'no secret in validation errors');
    });
  }
});
