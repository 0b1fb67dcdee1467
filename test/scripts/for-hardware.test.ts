/**
 * `for_hardware` and `recommission` in the region, over HTTP as a machine sees them: the maas-scripts tar
 * lists a script for particular hardware only once this run's built-in scripts have reported and only
 * on a machine they found that hardware on (modalias, PCI or USB id from 10-plinth-modaliases, DMI
 * values from 00-plinth-facts); a pending result the machine no longer qualifies for is removed; a
 * passing `recommission` script lists the built-in scripts again, once. The machine's side is played
 * by signals here (the bundled agent's side is test/agent/script-packages.test.ts). Power goes to a BMC
 * test double (we have no hardware). On both stores.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { globToRegExp, matchesHardware } from '../../src/services/scripts/hardware-match.ts';
import { MODALIASES } from '../../src/services/scripts/shipped.ts';
import { BACKENDS } from '../helpers/backends.ts';
import { startBmcDouble, type BmcDouble } from '../lifecycle/bmc-double.ts';
import { newMachine, startLifecycleRegion, type LifecycleRegion } from '../lifecycle/helpers.ts';
import { meta, nodeKey, untar } from '../metadata/helpers.ts';

const S = { COMMISSIONING: 1, READY: 4, TESTING: 21 };
const INTEL_X710 = 'pci:v00008086d00001572sv00008086sd00000001bc02sc00i00';
const USB_HUB = 'usb:v1D6Bp0002d0515dc09dsc00dp01ic09isc00ip00in00';
const script = (name: string, meta: string, body = 'echo ok') => `#!/bin/sh\n# --- Start MAAS 1.0 script metadata ---\n# name: ${name}\n${meta}# --- End MAAS 1.0 script metadata ---\n${body}\n`;

describe('hardware identifiers (pure)', () => {
  test('fnmatch globs, PCI and USB ids as MAAS expands them, DMI pairs exactly', () => {
    assert.ok(globToRegExp('pci:v00008086d*').test(INTEL_X710));
    assert.ok(globToRegExp('a[!b]c?').test('axcd') && !globToRegExp('a[!b]c?').test('abcd') && globToRegExp('x[').test('x['));
    const hw = { modaliases: [INTEL_X710, USB_HUB], pairs: ['system_vendor:Acme Corp'] };
    assert.equal(matchesHardware(['pci:8086:1572'], hw), true);
    assert.equal(matchesHardware(['pci:8086:1573'], hw), false);
    assert.equal(matchesHardware(['usb:1d6b:0002'], hw), true, 'ids are upper-cased as the kernel writes them');
    assert.equal(matchesHardware(['system_vendor:Acme Corp'], hw), true);
    assert.equal(matchesHardware(['system_vendor:acme corp', 'modalias:pci:v000010DE*'], hw), false);
    assert.equal(matchesHardware([], { modaliases: [], pairs: [] }), true);
  });

  test('10-plinth-modaliases prints each device modalias of a sysfs tree once, sorted', () => {
    const sys = mkdtempSync(join(tmpdir(), 'plinth-sysfs-'));
    try {
      const device = (path: string, alias: string) => { mkdirSync(join(sys, 'devices', path), { recursive: true }); writeFileSync(join(sys, 'devices', path, 'modalias'), `${alias}\n`); };
      device('pci0000:00/0000:00:03.0', INTEL_X710);
      device('pci0000:00/0000:00:14.0/usb1', USB_HUB);
      device('pci0000:00/0000:00:14.0/usb1/1-0:1.0', USB_HUB);
      device('virtual/dmi/id', 'dmi:bvnSeaBIOS:svnAcme:');
      writeFileSync(join(sys, 'script'), MODALIASES.content);
      const out = execFileSync('sh', [join(sys, 'script')], { env: { ...process.env, SYSFS: sys } }).toString();
      assert.equal(out, [INTEL_X710, 'dmi:bvnSeaBIOS:svnAcme:', USB_HUB].sort().join('\n') + '\n');
    } finally {
      rmSync(sys, { recursive: true, force: true });
    }
  });
});

for (const kind of BACKENDS) {
  describe(`for_hardware and recommission (${kind})`, () => {
    let r: LifecycleRegion;
    const bmcs: BmcDouble[] = [];
    let n = 0;
    before(async () => { r = await startLifecycleRegion(kind); });
    after(async () => { await r?.close(); await Promise.all(bmcs.map((b) => b.stop())); });
    const signal = (key: string, fields: Array<[string, string]>, files: Array<[string, string]> = []) =>
      meta(r, 'POST', 'latest/?op=signal', key, [...fields.map(([name, value]) => ({ name, value })), ...files.map(([name, value]) => ({ name, value: Buffer.from(value), filename: name }))]);
    type Entry = { name: string; script_result_id: number; has_finished: boolean };
    const tarOf = async (key: string) => {
      const res = await meta(r, 'GET', 'latest/maas-scripts/', key);
      assert.equal(res.status, 200, res.text);
      return JSON.parse(untar(res.body)['index.json'])['1.0'] as { commissioning_scripts: Entry[]; testing_scripts?: Entry[] };
    };
    const unfinished = (list: Entry[] = []) => list.filter((e) => !e.has_finished).map((e) => e.name);
    /** Reports every unfinished script as passed, as the agent would; `outputs` by script name. */
    const pass = async (key: string, list: Entry[], outputs: Record<string, string> = {}) => {
      for (const e of list.filter((x) => !x.has_finished)) {
        const files: Array<[string, string]> = outputs[e.name] !== undefined ? [[`${e.name}.out`, outputs[e.name]]] : [];
        const res = await signal(key, [['status', 'WORKING'], ['script_result_id', String(e.script_result_id)], ['name', e.name], ['exit_status', '0']], files);
        assert.equal(res.status, 200, res.text);
      }
    };
    const commission = async (fields: Array<[string, string]>) => {
      const b = await startBmcDouble(); bmcs.push(b);
      const sid = r.sid(await r.api('POST', 'machines/', newMachine(`hw-${kind}-${++n}`, [...b.fields(), ['commission', 'false']])));
      assert.equal((await r.api('POST', `machines/${sid}/?op=commission`, fields)).status, 200);
      await r.runner.drain();
      assert.equal((await r.status(sid)).status, S.COMMISSIONING);
      return { sid, key: await nodeKey(r, sid) };
    };
    const results = async (sid: string) => Object.fromEntries((await r.api('GET', `nodes/${sid}/results/current-commissioning/`)).json()
      .results.map((x: { name: string; status_name: string }) => [x.name, x.status_name]));
    const finish = async (sid: string, key: string) => {
      assert.equal((await signal(key, [['status', 'OK']])).status, 200);
      await r.runner.drain();
      assert.equal((await r.status(sid)).status, S.READY, (await r.status(sid)).status_message ?? '');
    };

    before(async () => {
      const add = async (text: string) => assert.equal((await r.api('POST', 'scripts/', [{ name: 'script', value: Buffer.from(text), filename: 's.sh' }])).status, 200);
      await add(script('90-nic-firmware', '# script_type: commissioning\n# tags: [firmware]\n# recommission: true\n# for_hardware: ["pci:8086:1572"]\n'));
      await add(script('91-hub-probe', '# script_type: commissioning\n# tags: [firmware]\n# for_hardware: ["usb:1d6b:0002"]\n'));
      await add(script('92-acme-bios', '# script_type: commissioning\n# tags: [firmware]\n# for_hardware: ["system_vendor:Acme Corp"]\n'));
      await add(script('nic-check', '# script_type: testing\n# tags: [nic-tests]\n# for_hardware: ["modalias:pci:v00008086d*"]\n'));
      await add(script('gpu-check', '# script_type: testing\n# tags: [nic-tests]\n# for_hardware: ["modalias:pci:v000010DE*"]\n'));
    });

    test('found hardware: listed after the built-ins; a stale pending result goes; recommission lists the built-ins once more', async () => {
      const { sid, key } = await commission([['commissioning_scripts', 'firmware']]);
      const first = await tarOf(key);
      const names = first.commissioning_scripts.map((e) => e.name);
      assert.ok(names.includes('10-plinth-modaliases') && names.includes('00-plinth-facts'), names.join(' '));
      assert.ok(!names.some((x) => /^9\d-/.test(x)), `nothing for particular hardware before the machine was read: ${names.join(' ')}`);
      await pass(key, first.commissioning_scripts, { '10-plinth-modaliases': `${INTEL_X710}\n${USB_HUB}\n` });

      const second = await tarOf(key);
      assert.deepEqual(unfinished(second.commissioning_scripts), ['90-nic-firmware', '91-hub-probe'], 'DMI says nothing of Acme here');
      assert.equal((await results(sid))['91-hub-probe'], 'Pending');
      // The hub probe is changed to other hardware before it ran: the machine no longer qualifies.
      assert.equal((await r.api('PUT', 'scripts/91-hub-probe', [['for_hardware', 'usb:ffff:0001']])).status, 200);
      await pass(key, second.commissioning_scripts.filter((e) => e.name === '90-nic-firmware'));

      const third = await tarOf(key);
      assert.deepEqual(unfinished(third.commissioning_scripts), first.commissioning_scripts.map((e) => e.name),
        'recommission: the built-in scripts are listed again, nothing else');
      assert.equal((await results(sid))['91-hub-probe'], undefined, 'the pending result it no longer qualifies for is gone');
      const events = (await r.api('GET', `events/?op=query&id=${sid}`)).json().events.map((e: { description: string }) => e.description);
      assert.ok(events.some((d: string) => d.startsWith('90-nic-firmware passed and asked for recommissioning')), events.join('\n'));
      await pass(key, third.commissioning_scripts, { '10-plinth-modaliases': `${INTEL_X710}\n` });
      assert.deepEqual(unfinished((await tarOf(key)).commissioning_scripts), [], 'once: nothing more to run');
      await finish(sid, key);
      const done = await results(sid);
      assert.equal(done['90-nic-firmware'], 'Passed');
      assert.ok(Object.values(done).every((s) => s === 'Passed'), JSON.stringify(done));

      // Tests for particular hardware match what the last commissioning found.
      assert.equal((await r.api('POST', `machines/${sid}/?op=test`, [['testing_scripts', 'nic-tests']])).status, 200);
      await r.runner.drain();
      assert.equal((await r.status(sid)).status, S.TESTING);
      assert.deepEqual((await tarOf(key)).testing_scripts!.map((e) => e.name), ['nic-check']);
    });

    test('other hardware: the script never shows and leaves no Pending result; DMI values match too', async () => {
      const other = await commission([['commissioning_scripts', 'firmware']]);
      await pass(other.key, (await tarOf(other.key)).commissioning_scripts, { '10-plinth-modaliases': 'pci:v000010ECd00008168sv*\n' });
      assert.deepEqual(unfinished((await tarOf(other.key)).commissioning_scripts), []);
      await finish(other.sid, other.key);
      assert.ok(!Object.keys(await results(other.sid)).some((x) => /^9\d-/.test(x)));

      const acme = await commission([['commissioning_scripts', '92-acme-bios']]);
      const facts = JSON.parse(readFileSync(new URL('../commissioning/fixtures/host-facts.json', import.meta.url), 'utf8'));
      facts.dmi.system.vendor = 'Acme Corp';
      facts.nics = facts.nics.map((x: { mac: string }) => ({ ...x, mac: '02:fc:00:00:aa:01' }));
      await pass(acme.key, (await tarOf(acme.key)).commissioning_scripts, { '00-plinth-facts': JSON.stringify(facts) });
      assert.deepEqual(unfinished((await tarOf(acme.key)).commissioning_scripts), ['92-acme-bios']);

      // Not chosen: a script for particular hardware does not run even where it would match (as MAAS).
      const unchosen = await commission([]);
      await pass(unchosen.key, (await tarOf(unchosen.key)).commissioning_scripts, { '10-plinth-modaliases': `${INTEL_X710}\n` });
      assert.deepEqual(unfinished((await tarOf(unchosen.key)).commissioning_scripts), []);
    });
  });
}
