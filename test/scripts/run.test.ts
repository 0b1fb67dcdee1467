/**
 * Custom scripts run: a stored commissioning script goes into every commissioning's maas-scripts tar
 * (fetched as the machine, with its node key), its uploaded result is stored under its name and shown by
 * node-script-results and node-results; a custom test runs when its tag is chosen. Power goes to a BMC
 * test double (we have no hardware). On both stores.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { BACKENDS } from '../helpers/backends.ts';
import { startBmcDouble, type BmcDouble } from '../lifecycle/bmc-double.ts';
import { newMachine, startLifecycleRegion, type LifecycleRegion } from '../lifecycle/helpers.ts';
import { meta, nodeKey, untar } from '../metadata/helpers.ts';

const INVENTORY = `#!/bin/sh
# --- Start MAAS 1.0 script metadata ---
# name: 99-site-inventory
# script_type: commissioning
# timeout: 120
# parallel: any
# --- End MAAS 1.0 script metadata ---
echo "asset tag: $(cat /sys/class/dmi/id/chassis_asset_tag 2>/dev/null)"
`;
const BURN = `#!/bin/sh
# --- Start MAAS 1.0 script metadata ---
# name: site-burn
# tags: site, burn-in
# hardware_type: cpu
# --- End MAAS 1.0 script metadata ---
echo burning
`;
const S = { COMMISSIONING: 1, READY: 4, TESTING: 21 };

for (const kind of BACKENDS) {
  describe(`custom scripts run (${kind})`, () => {
    let r: LifecycleRegion;
    const bmcs: BmcDouble[] = [];
    before(async () => { r = await startLifecycleRegion(kind); });
    after(async () => { await r?.close(); await Promise.all(bmcs.map((b) => b.stop())); });
    const signal = (key: string, fields: Array<[string, string]>, files: Array<[string, string]> = []) =>
      meta(r, 'POST', 'latest/?op=signal', key, [...fields.map(([name, value]) => ({ name, value })), ...files.map(([name, value]) => ({ name, value: Buffer.from(value), filename: name }))]);
    const tarOf = async (key: string) => {
      const res = await meta(r, 'GET', 'latest/maas-scripts/', key);
      assert.equal(res.status, 200, res.text);
      const files = untar(res.body);
      return { files, index: JSON.parse(files['index.json'])['1.0'] };
    };

    test('a custom commissioning script is in the tar; its result is stored and listed under its name', async () => {
      const created = await r.api('POST', 'scripts/', [{ name: 'script', value: Buffer.from(INVENTORY), filename: 'inv.sh' }]);
      assert.equal(created.status, 200, created.text);
      const version = created.json().history[0].id;
      assert.equal((await r.api('POST', 'scripts/', [{ name: 'script', value: Buffer.from(BURN), filename: 'burn.sh' }])).status, 200);

      const b = await startBmcDouble(); bmcs.push(b);
      const sid = r.sid(await r.api('POST', 'machines/', newMachine(`custom-${kind}`, b.fields())));
      await r.runner.drain();
      assert.equal((await r.status(sid)).status, S.COMMISSIONING);
      const key = await nodeKey(r, sid);
      const { files, index } = await tarOf(key);
      const names = index.commissioning_scripts.map((s: { name: string }) => s.name);
      assert.ok(names.includes('00-plinth-facts'), 'the built-in scripts still run');
      assert.equal(names[names.length - 1], '99-site-inventory', 'run in name order with the built-in ones');
      assert.deepEqual(index.testing_scripts, [], 'custom tests run only when chosen');
      const entry = index.commissioning_scripts.find((s: { name: string }) => s.name === '99-site-inventory');
      assert.deepEqual([entry.default, entry.script_version_id, entry.timeout_seconds, entry.parallel, entry.path],
        [false, version, 120, 2, 'commissioning/99-site-inventory']);
      assert.equal(typeof entry.script_result_id, 'number');
      assert.equal(files['commissioning/99-site-inventory'], INVENTORY);
      assert.equal(untar((await meta(r, 'GET', 'latest/maas-commissioning-scripts', key)).body)['commissioning.d/99-site-inventory'], INVENTORY);

      for (const s of index.commissioning_scripts) {
        const out: Array<[string, string]> = s.name === '99-site-inventory' ? [['99-site-inventory', 'asset tag: A-1\n']] : [];
        const res = await signal(key, [['status', 'WORKING'], ['script_result_id', String(s.script_result_id)], ['name', s.name], ['exit_status', '0'], ['runtime', '0.5']], out);
        assert.equal(res.status, 200, res.text);
      }
      await signal(key, [['status', 'OK']]);
      await r.runner.drain();
      assert.equal((await r.status(sid)).status, S.READY, (await r.status(sid)).status_message ?? '');

      const sets = (await r.api('GET', `nodes/${sid}/results/?type=commissioning&include_output=1`)).json();
      const mine = sets[0].results.find((x: { name: string }) => x.name === '99-site-inventory');
      assert.equal(mine.status_name, 'Passed');
      assert.equal(Buffer.from(mine.output, 'base64').toString(), 'asset tag: A-1\n');
      const legacy = (await r.api('GET', `commissioning-results/?system_id=${sid}&name=99-site-inventory`)).json();
      assert.equal(legacy.length, 1);
      assert.equal(Buffer.from(legacy[0].data, 'base64').toString(), 'asset tag: A-1\n');

      // Testing chosen by tag picks the custom test; commissioning_scripts by name narrows the custom ones.
      assert.equal((await r.api('POST', `machines/${sid}/?op=test`, [['testing_scripts', 'burn-in']])).status, 200);
      await r.runner.drain();
      assert.equal((await r.status(sid)).status, S.TESTING);
      const t = await tarOf(key);
      assert.deepEqual(t.index.testing_scripts.map((s: { name: string }) => s.name), ['site-burn']);
      assert.equal(t.files['testing/site-burn'], BURN);
      await signal(key, [['status', 'WORKING'], ['script_result_id', String(t.index.testing_scripts[0].script_result_id)], ['exit_status', '0']], [['site-burn', 'burning\n']]);
      await signal(key, [['status', 'OK']]);
      await r.runner.drain();
      assert.equal((await r.status(sid)).status, S.READY, (await r.status(sid)).status_message ?? '');
      const tests = (await r.api('GET', `nodes/${sid}/results/current-testing/`)).json();
      assert.deepEqual(tests.results.map((x: { name: string; status_name: string }) => [x.name, x.status_name]), [['site-burn', 'Passed']]);
    });

    test('commissioning_scripts chosen: only the named custom scripts join the built-in ones; enlistment runs built-ins only', async () => {
      await r.api('POST', 'scripts/', [['name', 'zz-other'], ['type', 'commissioning'], ['script', '#!/bin/sh\ntrue\n']]);
      const b = await startBmcDouble(); bmcs.push(b);
      const sid = r.sid(await r.api('POST', 'machines/', newMachine(`custom-${kind}-2`, [...b.fields(), ['commission', 'false']])));
      assert.equal((await r.api('POST', `machines/${sid}/?op=commission`, [['commissioning_scripts', 'zz-other']])).status, 200);
      await r.runner.drain();
      const { index } = await tarOf(await nodeKey(r, sid));
      const names = index.commissioning_scripts.map((s: { name: string }) => s.name);
      assert.ok(names.includes('zz-other') && names.includes('20-lshw') && !names.includes('99-site-inventory'), names.join(' '));
      const anon = untar((await meta(r, 'GET', 'latest/maas-scripts', null)).body);
      const enlist = JSON.parse(anon['index.json'])['1.0'].commissioning_scripts.map((s: { name: string }) => s.name);
      assert.ok(!enlist.includes('zz-other') && !enlist.includes('99-site-inventory'), enlist.join(' '));
    });
  });
}
