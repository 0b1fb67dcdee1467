/**
 * Machines driven through their lifecycle by the metadata service alone, as the ephemeral environment
 * and the installed OS would drive them: signals with uploaded results, the status webhook, netboot_off
 * and the user-data fetch. Power goes to a BMC test double (we have no hardware).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { signRequest } from '../../src/edges/maas/wire/oauth.ts';
import { TagEvaluator } from '../../src/services/tag-evaluation/worker.ts';
import { rememberLeases } from '../../src/services/racks/lease-view.ts';
import { BACKENDS } from '../helpers/backends.ts';
import { startBmcDouble, type BmcDouble } from '../lifecycle/bmc-double.ts';
import { newMachine, startLifecycleRegion, type LifecycleRegion } from '../lifecycle/helpers.ts';
import { LSHW_SERVER } from '../tags/fixtures.ts';
import { meta, nodeKey, untar } from './helpers.ts';

const S = { NEW: 0, COMMISSIONING: 1, FAILED_COMMISSIONING: 2, READY: 4, DEPLOYED: 6, DEPLOYING: 9, ALLOCATED: 10, FAILED_DEPLOYMENT: 11, DISK_ERASING: 14, RESCUE_MODE: 16, TESTING: 21, FAILED_TESTING: 22 };

for (const kind of BACKENDS) {
  describe(`metadata lifecycle (${kind})`, () => {
    let r: LifecycleRegion;
    let ev: TagEvaluator;
    const bmcs: BmcDouble[] = [];
    let n = 0;
    const machine = async (extra: Array<[string, string]> = []) => {
      const b = await startBmcDouble(); bmcs.push(b);
      const sid = r.sid(await r.api('POST', 'machines/', newMachine(`ml-${kind}-${++n}`, [...b.fields(), ...extra])));
      await r.runner.drain();
      return { sid, key: await nodeKey(r, sid), b };
    };
    const signal = (key: string, fields: Array<[string, string]>, files: Array<[string, string]> = []) =>
      meta(r, 'POST', 'latest/?op=signal', key, [...fields.map(([name, value]) => ({ name, value })), ...files.map(([name, value]) => ({ name, value: Buffer.from(value), filename: name }))]);
    const webhook = (sid: string, key: string, event: object) => {
      const url = `${r.origin}/MAAS/metadata/status/${sid}`;
      const [ck, tk, ts] = key.split(':');
      return fetch(url, { method: 'POST', body: JSON.stringify(event), headers: { Authorization: signRequest({ method: 'POST', url, consumerKey: ck, token: tk, tokenSecret: ts }) } });
    };
    const status = async (sid: string) => (await r.status(sid)).status;
    /** Runs the commissioning scripts as the agent would: every script passes; 20-lshw uploads the XML. */
    const commissionAsMachine = async (key: string, outputs: Record<string, string> = { '20-lshw': LSHW_SERVER }) => {
      const index = JSON.parse(untar((await meta(r, 'GET', 'latest/maas-scripts/', key)).body)['index.json'])['1.0'];
      for (const s of index.commissioning_scripts) {
        assert.equal((await signal(key, [['status', 'WORKING'], ['script_result_id', String(s.script_result_id)], ['name', s.name]])).text, 'OK');
        const files: Array<[string, string]> = outputs[s.name] !== undefined ? [[s.name, outputs[s.name]]] : [];
        const res = await signal(key, [['status', 'WORKING'], ['script_result_id', String(s.script_result_id)], ['name', s.name], ['exit_status', '0'], ['runtime', '1.5']], files);
        assert.equal(res.status, 200, res.text);
      }
      return index;
    };

    before(async () => {
      r = await startLifecycleRegion(kind);
      ev = new TagEvaluator(r.svc, 50).start();
    });
    after(async () => { await ev?.stop(); await r?.close(); await Promise.all(bmcs.map((b) => b.stop())); });

    test('commissioning round trip: scripts, lshw upload, OK → Ready, tags re-evaluated, results through the API', async () => {
      assert.equal((await r.api('POST', 'tags/', [['name', 'dell'], ['definition', '//node[@class="system"]/vendor = "Dell Inc."']])).status, 200);
      const { sid, key, b } = await machine();
      assert.equal(await status(sid), S.COMMISSIONING);
      assert.equal(b.state.power, 'on');
      await commissionAsMachine(key);
      assert.equal((await signal(key, [['status', 'OK'], ['power_type', 'webhook'], ['power_parameters', JSON.stringify(Object.fromEntries(b.fields().slice(1).map(([k, v]) => [k.replace('power_parameters_', ''), v])))]])).text, 'OK');
      await r.runner.drain();
      assert.equal(await status(sid), S.READY, (await r.status(sid)).status_message ?? '');
      assert.equal(b.state.power, 'off');
      await ev.idle();
      const m = (await r.api('GET', `machines/${sid}/`)).json();
      assert.ok(m.tag_names.includes('dell'), `tags: ${m.tag_names}`);
      const results = (await r.api('GET', `nodes/${sid}/results/?include_output=1`)).json();
      assert.equal(results.length, 1);
      assert.equal(results[0].type_name, 'Commissioning');
      assert.equal(results[0].status_name, 'Passed');
      const lshw = results[0].results.find((x: { name: string }) => x.name === '20-lshw');
      assert.equal(lshw.status_name, 'Passed');
      assert.equal(lshw.exit_status, 0);
      assert.equal(lshw.runtime, '0:00:02');
      assert.equal(Buffer.from(lshw.output, 'base64').toString(), LSHW_SERVER);
      const current = (await r.api('GET', `nodes/${sid}/results/current-commissioning/`)).json();
      assert.equal(current.id, results[0].id);
      assert.equal((await r.api('GET', `nodes/${sid}/results/999999/`)).status, 404);
      const legacy = (await r.api('GET', `commissioning-results/?system_id=${sid}&name=20-lshw`)).json();
      assert.equal(legacy.length, 1);
      assert.equal(Buffer.from(legacy[0].data, 'base64').toString(), LSHW_SERVER);
      // The user cannot read results of a machine they cannot see... but this one is unowned: visible.
      assert.equal((await r.api('GET', `nodes/${sid}/results/`, [], r.userKey)).status, 200);
      assert.equal((await r.api('GET', `machines/${sid}/?op=get_token`, [], r.userKey)).status, 403);
    });

    test('output Plinth cannot read fails that script and commissioning', async () => {
      const { sid, key } = await machine();
      await commissionAsMachine(key, { '00-plinth-facts': '{"not": "facts"' });
      await signal(key, [['status', 'OK']]);
      await r.runner.drain();
      assert.equal(await status(sid), S.FAILED_COMMISSIONING);
      const res = (await r.api('GET', `nodes/${sid}/results/current-commissioning/?include_output=1`)).json();
      const facts = res.results.find((x: { name: string }) => x.name === '00-plinth-facts');
      assert.equal(facts.status_name, 'Failed');
      assert.match(Buffer.from(facts.stderr, 'base64').toString(), /^plinth: /);
      assert.match((await r.status(sid)).status_message!, /Commissioning scripts failed: 00-plinth-facts/);
    });

    test('signal FAILED in commissioning; testing after commissioning; a failed test → Failed testing', async () => {
      const a = await machine();
      await signal(a.key, [['status', 'FAILED'], ['error', 'lshw crashed']]);
      await r.runner.drain();
      assert.equal(await status(a.sid), S.FAILED_COMMISSIONING);
      assert.match((await r.api('GET', `machines/${a.sid}/`)).json().error_description, /lshw crashed/);

      /** A machine commissioned with smartctl-validate selected, now TESTING; the scripts index it sees. */
      const testing = async () => {
        const x = await machine([['commission', 'false']]);
        await r.api('POST', `machines/${x.sid}/?op=commission`, [['testing_scripts', 'smartctl-validate']]);
        await r.runner.drain();
        await commissionAsMachine(x.key);
        await signal(x.key, [['status', 'TESTING']]);
        await r.runner.drain();
        assert.equal(await status(x.sid), S.TESTING);
        return { ...x, index: JSON.parse(untar((await meta(r, 'GET', 'latest/maas-scripts', x.key)).body)['index.json'])['1.0'] };
      };
      const t = await testing();
      const index = t.index;
      assert.deepEqual(index.testing_scripts.map((s: { name: string }) => s.name), ['smartctl-validate']);
      assert.deepEqual(index.commissioning_scripts, []);
      await signal(t.key, [['status', 'WORKING'], ['script_result_id', String(index.testing_scripts[0].script_result_id)], ['exit_status', '1']], [['smartctl-validate.err', 'SMART failure']]);
      await signal(t.key, [['status', 'OK']]);
      await r.runner.drain();
      assert.equal(await status(t.sid), S.FAILED_TESTING);
      const sets = (await r.api('GET', `nodes/${t.sid}/results/?type=testing&include_output=true`)).json();
      assert.equal(sets[0].results[0].status_name, 'Failed');
      assert.equal(Buffer.from(sets[0].results[0].stderr, 'base64').toString(), 'SMART failure');

      // A script whose packages could not be installed: INSTALLING with an exit status → Failed installing (8).
      const u = await testing();
      const uIndex = u.index;
      await signal(u.key, [['status', 'INSTALLING'], ['script_result_id', String(uIndex.testing_scripts[0].script_result_id)], ['exit_status', '100']], [['smartctl-validate.out', 'E: Unable to locate package']]);
      await signal(u.key, [['status', 'OK']]);
      await r.runner.drain();
      assert.equal(await status(u.sid), S.FAILED_TESTING);
      const uSets = (await r.api('GET', `nodes/${u.sid}/results/?type=testing`)).json();
      assert.equal(uSets[0].results[0].status, 8);
      assert.equal(uSets[0].results[0].status_name, 'Failed installing dependencies');
    });

    test('enlistment self-commissioning: NEW + COMMISSIONING → commissioning → back to New', async () => {
      const { sid, key } = await machine([['commission', 'false']]);
      assert.equal(await status(sid), S.NEW);
      await signal(key, [['status', 'COMMISSIONING']]);
      assert.equal(await status(sid), S.COMMISSIONING);
      await r.runner.drain();
      await commissionAsMachine(key);
      await signal(key, [['status', 'OK']]);
      await r.runner.drain();
      assert.equal(await status(sid), S.NEW);
      // One run, one set: the COMMISSIONING signal's set is the one the scripts' results went to.
      const sets = (await r.api('GET', `nodes/${sid}/results/?type=commissioning`)).json();
      assert.deepEqual(sets.map((x: { status_name: string }) => x.status_name), ['Passed'], JSON.stringify(sets.map((x: { id: number; status_name: string }) => [x.id, x.status_name])));
      // A signal in a status where it means nothing is answered OK; one that cannot be is 409.
      assert.equal((await signal(key, [['status', 'OK']])).text, 'OK');
      await r.svc.db.query('update nodes set status = $2 where system_id = $1', [sid, S.ALLOCATED]);
      const refused = await signal(key, [['status', 'OK']]);
      assert.equal(refused.status, 409);
      assert.equal(refused.text, "Machine status isn't valid (status is Allocated)");
    });

    test('commissioning lays the disks out with default_storage_layout; skip_storage leaves them as they are', async () => {
      const facts = readFileSync(new URL('../commissioning/fixtures/host-facts.json', import.meta.url), 'utf8');
      const rootMounted = async (sid: string) => (await r.api('GET', `nodes/${sid}/blockdevices/`)).json()
        .some((d: any) => d.partitions.some((p: any) => p.filesystem?.mount_point === '/' && p.filesystem.fstype === 'ext4'));
      for (const cidr of ['10.99.6.0/24', '10.99.7.0/24']) assert.equal((await r.api('POST', 'subnets/', [['cidr', cidr]])).status, 200);
      const { sid, key } = await machine();
      await commissionAsMachine(key, { '00-plinth-facts': facts });
      // The address the machine booted with, as its rack reports the lease (the second subnet, not the VLAN's first).
      await rememberLeases(r.svc, 'rack-1', [{ ip: '10.99.7.23', mac: '02:fc:00:00:00:01', action: 'commit' }]);
      await signal(key, [['status', 'OK']]);
      await r.runner.drain();
      assert.equal(await status(sid), S.READY);
      assert.ok(await rootMounted(sid), 'flat: one ext4 partition mounted at / on the boot disk');
      // Initial networking: the boot interface AUTO on the subnet it booted from, its VLAN set to that subnet's.
      const m = (await r.api('GET', `machines/${sid}/`)).json();
      assert.deepEqual(m.boot_interface.links.map((l: any) => [l.mode, l.subnet?.cidr]), [['auto', '10.99.7.0/24']]);
      assert.ok(m.boot_interface.vlan);
      const ev = (await r.api('GET', `events/?op=query&id=${sid}`)).json().events;
      assert.ok(ev.some((e: { type: string; description: string }) => e.type === 'Storage layout' && /flat/.test(e.description)));

      const blank = await r.api('POST', `machines/${sid}/?op=set_storage_layout`, [['storage_layout', 'blank']]);
      assert.equal(blank.status, 200, blank.text);
      const again = await r.api('POST', `machines/${sid}/?op=commission`, [['skip_storage', '1']]);
      assert.equal(again.status, 200, again.text);
      await r.runner.drain();
      await commissionAsMachine(key, { '00-plinth-facts': facts });
      await signal(key, [['status', 'OK']]);
      await r.runner.drain();
      assert.equal(await status(sid), S.READY);
      assert.equal(await rootMounted(sid), false, 'skip_storage: the blank layout stays');

      // Laid out once the commissioning results are in, before the tests: a failed test does not lose it.
      assert.equal((await r.api('POST', `machines/${sid}/?op=commission`, [['testing_scripts', 'smartctl-validate']])).status, 200);
      await r.runner.drain();
      await commissionAsMachine(key, { '00-plinth-facts': facts });
      await signal(key, [['status', 'TESTING']]);
      await r.runner.drain();
      const index = JSON.parse(untar((await meta(r, 'GET', 'latest/maas-scripts', key)).body)['index.json'])['1.0'];
      await signal(key, [['status', 'WORKING'], ['script_result_id', String(index.testing_scripts[0].script_result_id)], ['exit_status', '1']]);
      await signal(key, [['status', 'OK']]);
      await r.runner.drain();
      assert.equal(await status(sid), S.FAILED_TESTING);
      assert.ok(await rootMounted(sid), 'flat again, though a test failed');
    });

    const readyMachine = async () => {
      const m = await machine();
      await commissionAsMachine(m.key, {});
      await signal(m.key, [['status', 'OK']]);
      await r.runner.drain();
      assert.equal(await status(m.sid), S.READY);
      return m;
    };

    test('deploy round trip: curtin path, installer events, netboot_off, user-data fetch → Deployed; erase via webhook → Ready', async () => {
      const { sid, key: commissioningKey } = await readyMachine();
      const userData = '#cloud-config\nruncmd: [touch /tmp/hello]\n';
      const dep = await r.api('POST', `machines/${sid}/?op=deploy`, [['user_data', Buffer.from(userData).toString('base64')]], r.userKey);
      assert.equal(dep.status, 200, dep.text);
      await r.runner.drain();
      // Allocation gave the machine a new key: the commissioning environment's no longer reads anything.
      assert.equal((await meta(r, 'GET', 'curtin/latest/user-data', commissioningKey)).status, 401);
      const key = await nodeKey(r, sid);
      const pre = JSON.parse((await meta(r, 'GET', `latest/by-id/${sid}/?op=get_preseed`, null)).text.slice('#cloud-config\n'.length));
      assert.equal(pre.datasource.MAAS.metadata_url, `${r.origin}/MAAS/metadata/curtin/`);
      assert.equal(pre.power_state.mode, 'reboot');
      assert.match((await meta(r, 'GET', 'curtin/latest/user-data', key)).text, /plinth-agent run/);
      const plan = await meta(r, 'GET', 'latest/plinth/install-plan', key);
      assert.notEqual(plan.status, 404);
      assert.notEqual(plan.status, 500);
      assert.equal((await webhook(sid, key, { event_type: 'start', origin: 'curtin', name: 'cmd-install', description: 'curtin command install' })).status, 204);
      const events = (await r.api('GET', `events/?op=query&id=${sid}`)).json().events.map((e: { type: string }) => e.type);
      assert.ok(events.includes('Installing'), events.join(', '));
      assert.equal((await meta(r, 'POST', `latest/by-id/${sid}/?op=netboot_off`, null)).text, 'OK');
      assert.equal((await r.status(sid)).netboot, false);
      assert.equal(await status(sid), S.DEPLOYING);
      const ud = await meta(r, 'GET', '2012-03-01/user-data', key);
      assert.equal(ud.text, userData, 'the user data, base64-decoded');
      await r.runner.drain();
      assert.equal(await status(sid), S.DEPLOYED);
      const inst = (await r.api('GET', `nodes/${sid}/results/?type=installation`)).json();
      assert.equal(inst[0].results[0].name, '/tmp/install.log');

      // Release with erase: the erase environment signals OK, then its last cloud-init stage finishes.
      await r.api('POST', `machines/${sid}/?op=release`, [['erase', 'true'], ['quick_erase', 'true']], r.userKey);
      await r.runner.drain();
      assert.equal(await status(sid), S.DISK_ERASING);
      // The deployed OS is still up with the deployment's key: its late reports are dropped (the webhook
      // answers 204 whatever happens, as MAAS's), not taken for the erase environment's: a failed stage
      // would fail the erase, a finished modules-final would end it.
      const deployedKey = key;
      const eventsBefore = (await r.api('GET', `events/?op=query&id=${sid}`)).json().count;
      assert.equal((await webhook(sid, deployedKey, { event_type: 'finish', origin: 'cloudinit', name: 'modules-config', description: 'running modules for config', result: 'FAILURE' })).status, 204);
      assert.equal((await webhook(sid, deployedKey, { event_type: 'finish', origin: 'cloudinit', name: 'modules-final', description: 'running modules for final', result: 'SUCCESS' })).status, 204);
      assert.equal((await meta(r, 'GET', 'latest/user-data', deployedKey)).status, 401);
      await r.runner.drain();
      assert.equal(await status(sid), S.DISK_ERASING);
      assert.equal((await r.api('GET', `events/?op=query&id=${sid}`)).json().count, eventsBefore, 'no event from the dropped reports');
      const eraseKey = await nodeKey(r, sid);
      assert.notEqual(eraseKey, deployedKey);
      const index = JSON.parse(untar((await meta(r, 'GET', 'latest/maas-scripts', eraseKey)).body)['index.json'])['1.0'];
      assert.deepEqual(index.release_scripts.map((s: { name: string }) => s.name), ['wipe-disks']);
      assert.equal(index.release_scripts[0].parameters.quick_erase.value, true);
      await signal(eraseKey, [['status', 'OK']]);
      await r.runner.drain();
      assert.equal(await status(sid), S.DISK_ERASING, 'OK alone does not finish the erase');
      await webhook(sid, eraseKey, { event_type: 'finish', origin: 'cloudinit', name: 'modules-final', description: 'running modules for final', result: 'SUCCESS' });
      await r.runner.drain();
      assert.equal(await status(sid), S.READY);
    });

    test('the metadata key is replaced whenever the owner changes (allocate, release), not otherwise', async () => {
      const { sid, key } = await readyMachine();
      const alloc = await r.api('POST', 'machines/?op=allocate', [['system_id', sid]], r.userKey);
      assert.equal(alloc.status, 200, alloc.text);
      assert.equal((await meta(r, 'GET', 'latest/meta-data/instance-id', key)).status, 401, 'allocate (the path juju and terraform take) revoked the old key');
      const allocated = await nodeKey(r, sid);
      assert.notEqual(allocated, key);
      assert.equal((await meta(r, 'GET', 'latest/meta-data/instance-id', allocated)).text, sid);
      assert.equal((await r.api('POST', `machines/${sid}/?op=release`, [], r.userKey)).status, 200);
      await r.runner.drain();
      assert.equal(await status(sid), S.READY);
      assert.equal((await meta(r, 'GET', 'latest/meta-data/instance-id', allocated)).status, 401, 'release revoked it again');
    });

    test('deploy failures: a FAILED signal, and a failed top-level webhook event', async () => {
      for (const how of ['signal', 'webhook']) {
        const { sid } = await readyMachine();
        await r.api('POST', `machines/${sid}/?op=deploy`);
        await r.runner.drain();
        const key = await nodeKey(r, sid); // allocation replaced the commissioning key
        if (how === 'signal') await signal(key, [['status', 'FAILED']]);
        else await webhook(sid, key, { event_type: 'finish', origin: 'curtin', name: 'cmd-install', description: 'curtin failed', result: 'FAIL' });
        await r.runner.drain();
        assert.equal(await status(sid), S.FAILED_DEPLOYMENT, how);
      }
    });

    test('rescue mode: OK from the rescue environment → Rescue mode', async () => {
      const { sid, key } = await readyMachine();
      await r.api('POST', `machines/${sid}/?op=rescue_mode`);
      await r.runner.drain();
      const pre = JSON.parse((await meta(r, 'GET', `latest/by-id/${sid}/?op=get_preseed`, null)).text.slice('#cloud-config\n'.length));
      assert.equal(pre.power_state, undefined, 'the rescue environment stays up');
      await signal(key, [['status', 'OK']]);
      await r.runner.drain();
      assert.equal(await status(sid), S.RESCUE_MODE);
    });
  });
}
