/**
 * The metadata service's URL space, auth and error texts (maas-api-spec §5.1), on both stores. Machines
 * are created through the API with a BMC test double for power (we have no hardware).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { signRequest } from '../../src/edges/maas/wire/oauth.ts';
import { BACKENDS } from '../helpers/backends.ts';
import { startBmcDouble, type BmcDouble } from '../lifecycle/bmc-double.ts';
import { newMachine, startLifecycleRegion, type LifecycleRegion } from '../lifecycle/helpers.ts';
import { meta, nodeKey, untar } from './helpers.ts';

for (const kind of BACKENDS) {
  describe(`metadata routes (${kind})`, () => {
    let r: LifecycleRegion;
    const bmcs: BmcDouble[] = [];
    let sid: string;
    let key: string;
    before(async () => {
      r = await startLifecycleRegion(kind);
      const b = await startBmcDouble();
      bmcs.push(b);
      sid = r.sid(await r.api('POST', 'machines/', newMachine(`meta-${kind}`, b.fields())));
      await r.runner.drain();
      key = await nodeKey(r, sid);
    });
    after(async () => { await r?.close(); await Promise.all(bmcs.map((b) => b.stop())); });

    test('index, versions, extra leading slashes, unknown version', async () => {
      assert.equal((await meta(r, 'GET', '', null)).text, '2012-03-01\nlatest');
      assert.equal((await meta(r, 'GET', 'curtin/', null)).text, '2012-03-01\nlatest');
      const unknown = await meta(r, 'GET', '2009-04-04/meta-data/instance-id', key);
      assert.equal(unknown.status, 404);
      assert.equal(unknown.text, 'Unknown metadata version: 2009-04-04');
      const slashes = await meta(r, 'GET', '//2012-03-01/meta-data/instance-id', key);
      assert.equal(slashes.status, 200, slashes.text);
      assert.equal(slashes.text, sid);
      const list = await meta(r, 'GET', 'latest/', key);
      assert.equal(list.text, 'maas-commissioning-scripts\nmeta-data\nuser-data', 'a commissioning machine has user data (the agent)');
      assert.equal((await meta(r, 'GET', 'latest/', null)).text, 'meta-data\nuser-data', 'anonymous: the enlistment variant');
    });

    test('node auth: 401 without credentials, 401 for a bad key, 403 for a user key, replays refused', async () => {
      const anon = await meta(r, 'GET', 'latest/meta-data/instance-id', null);
      assert.equal(anon.status, 401);
      const user = await meta(r, 'GET', 'latest/meta-data/instance-id', r.userKey);
      assert.equal(user.status, 403);
      assert.equal(user.text, 'Not authenticated as a known node.');
      const [ck, tk] = key.split(':');
      const wrongSecret = await meta(r, 'GET', 'latest/meta-data/instance-id', `${ck}:${tk}:not-the-secret`);
      assert.equal(wrongSecret.status, 401);
      assert.equal(wrongSecret.text, 'Authorization Error: Invalid signature.');
      const url = `${r.origin}/MAAS/metadata/latest/meta-data/instance-id`;
      const auth = signRequest({ method: 'GET', url, consumerKey: ck, token: tk, tokenSecret: key.split(':')[2], nonce: 'fixed-nonce-1' });
      assert.equal((await fetch(url, { headers: { Authorization: auth } })).status, 200);
      const replay = await fetch(url, { headers: { Authorization: auth } });
      assert.equal(replay.status, 401);
      assert.match(await replay.text(), /Nonce already used/);
      const old = signRequest({ method: 'GET', url, consumerKey: ck, token: tk, tokenSecret: key.split(':')[2], timestamp: Math.floor(Date.now() / 1000) - 1000 });
      const expired = await fetch(url, { headers: { Authorization: old } });
      assert.equal(expired.status, 401);
      assert.match(await expired.text(), /Expired timestamp/);
      assert.ok(expired.headers.get('date'), 'a Date header for clients that correct clock skew');
      // Node keys are refused by the MAAS API.
      assert.equal((await r.api('GET', 'machines/', [], key)).status, 403);
    });

    test('meta-data items', async () => {
      assert.equal((await meta(r, 'GET', 'latest/meta-data/', key)).text, 'instance-id\nlocal-hostname\nvendor-data\nx509');
      assert.equal((await meta(r, 'GET', 'latest/meta-data/local-hostname', key)).text, `meta-${kind}.maas`);
      const vd = await meta(r, 'GET', 'latest/meta-data/vendor-data', key);
      assert.match(vd.contentType, /^application\/x-yaml/);
      assert.match(JSON.parse(vd.text)['cloud-init'], /^#cloud-config\n/);
      const missing = await meta(r, 'GET', 'latest/meta-data/nothing', key);
      assert.equal(missing.status, 404);
      assert.equal((await meta(r, 'GET', 'curtin/latest/meta-data/instance-id', key)).text, sid);
    });

    test('user-data: the agent hand-over for the ephemeral environment', async () => {
      const ud = await meta(r, 'GET', 'latest/user-data', key);
      assert.equal(ud.status, 200);
      assert.equal(ud.contentType, 'application/octet-stream');
      assert.match(ud.text, /^#!\/bin\/sh\n[\s\S]*exec \/usr\/bin\/plinth-agent run\n$/);
      assert.equal((await meta(r, 'GET', 'latest/user-data', null)).text, ud.text, 'enlistment gets the agent too');
    });

    test('maas-scripts: a ustar with index.json naming result ids; 204 when nothing runs', async () => {
      const res = await meta(r, 'GET', 'latest/maas-scripts/', key);
      assert.equal(res.status, 200);
      assert.equal(res.contentType, 'application/x-tar');
      const files = untar(res.body);
      const index = JSON.parse(files['index.json'])['1.0'];
      assert.ok(index.commissioning_scripts.length >= 3);
      for (const s of index.commissioning_scripts) {
        assert.equal(typeof s.script_result_id, 'number');
        assert.equal(files[s.path], files[`commissioning/${s.name}`]);
        assert.ok(files[s.path].length > 0);
      }
      assert.deepEqual(index.testing_scripts, []);
      const again = JSON.parse(untar((await meta(r, 'GET', 'latest/maas-scripts', key)).body)['index.json'])['1.0'];
      assert.deepEqual(again.commissioning_scripts.map((s: { script_result_id: number }) => s.script_result_id),
        index.commissioning_scripts.map((s: { script_result_id: number }) => s.script_result_id), 'the same run keeps its result rows');
      const legacy = untar((await meta(r, 'GET', 'latest/maas-commissioning-scripts', key)).body);
      assert.ok(Object.keys(legacy).every((p) => p.startsWith('commissioning.d/')));
      const anon = await meta(r, 'GET', 'latest/maas-scripts', null);
      assert.equal(anon.status, 200, 'enlistment runs the commissioning scripts');
      // A Ready machine has nothing to run.
      const b = await startBmcDouble(); bmcs.push(b);
      const ready = r.sid(await r.api('POST', 'machines/', newMachine(`meta-${kind}-ready`, [...b.fields(), ['commission', 'false']])));
      await r.svc.db.query('update nodes set status = 4 where system_id = $1', [ready]);
      const none = await meta(r, 'GET', 'latest/maas-scripts', await nodeKey(r, ready));
      assert.equal(none.status, 204);
    });

    test('preseeds: node credentials and webhook from the Host the machine used; enlistment without credentials', async () => {
      const pre = await meta(r, 'GET', `latest/by-id/${sid}/?op=get_preseed`, null);
      assert.equal(pre.status, 200);
      assert.match(pre.text, /^#cloud-config\n/);
      const doc = JSON.parse(pre.text.slice('#cloud-config\n'.length));
      const [ck, tk, ts] = key.split(':');
      assert.deepEqual(doc.datasource.MAAS, { metadata_url: `${r.origin}/MAAS/metadata/`, consumer_key: ck, token_key: tk, token_secret: ts });
      assert.equal(doc.reporting.maas.endpoint, `${r.origin}/MAAS/metadata/status/${sid}`);
      assert.equal(doc.power_state.mode, 'poweroff');
      // Through the rack's address: the URLs follow the Host header.
      const viaRack = await new Promise<string>((resolve, reject) => {
        http.get(`${r.origin}/MAAS/metadata/latest/by-id/${sid}/?op=get_preseed`, { headers: { Host: '10.0.0.2:5248' } }, (res) => {
          let body = ''; res.on('data', (c) => { body += c; }); res.on('end', () => resolve(body));
        }).on('error', reject);
      });
      assert.match(viaRack, /"metadata_url": "http:\/\/10\.0\.0\.2:5248\/MAAS\/metadata\/"/);
      const enlist = await meta(r, 'GET', 'latest/enlist-preseed/?op=get_enlist_preseed', null);
      const e = JSON.parse(enlist.text.slice('#cloud-config\n'.length));
      assert.deepEqual(e.datasource.MAAS, { metadata_url: `${r.origin}/MAAS/metadata/enlist/` });
      assert.equal((await meta(r, 'GET', 'latest/enlist-preseed/?op=nope', null)).text, 'Unrecognised signature: method=GET op=nope');
      const unknownNode = await meta(r, 'GET', 'latest/by-id/xxxxxx/?op=get_preseed', null);
      assert.equal(unknownNode.status, 404);
      // The enlistment tree.
      assert.equal((await meta(r, 'GET', 'enlist/latest/meta-data/instance-id', null)).text, 'i-maas-enlistment');
      assert.equal((await meta(r, 'GET', 'enlist/latest/meta-data/local-hostname', null)).text, 'maas-enlisting-node');
      assert.equal((await meta(r, 'GET', 'enlist/2012-03-01/meta-data/', null)).text, 'instance-id\nlocal-hostname');
      assert.equal((await meta(r, 'GET', 'enlist/1999/meta-data/', null)).text, 'Unknown metadata version: 1999');
    });

    test('signal input errors and ops', async () => {
      const bad = await meta(r, 'POST', 'latest/?op=signal', key, [{ name: 'status', value: 'DANCING' }]);
      assert.equal(bad.status, 400);
      assert.equal(bad.text, "Unknown status: 'DANCING'");
      const badExit = await meta(r, 'POST', 'latest/?op=signal', key, [{ name: 'status', value: 'WORKING' }, { name: 'exit_status', value: 'x' }]);
      assert.equal(badExit.status, 400);
      const badPower = await meta(r, 'POST', 'latest/?op=signal', key, [{ name: 'status', value: 'WORKING' }, { name: 'power_type', value: 'ipmi' }, { name: 'power_parameters', value: '{' }]);
      assert.equal(badPower.status, 400);
      assert.equal((await meta(r, 'POST', 'latest/?op=dance', key)).text, 'Unrecognised signature: method=POST op=dance');
      assert.equal((await meta(r, 'PUT', 'latest/meta-data/', key)).status, 405);
      const plan = await meta(r, 'GET', 'latest/plinth/install-plan', key);
      assert.equal(plan.status, 409, 'only a deploying machine has an install plan');
    });

    test('status webhook: 401 without a token, 400 texts, 204 and an event', async () => {
      const url = `${r.origin}/MAAS/metadata/status/${sid}`;
      const [ck, tk, ts] = key.split(':');
      const post = (body: string, auth = true) => fetch(url, { method: 'POST', body, headers: auth ? { Authorization: signRequest({ method: 'POST', url, consumerKey: ck, token: tk, tokenSecret: ts }) } : {} });
      const noAuth = await post('{}', false);
      assert.equal(noAuth.status, 401);
      assert.equal(await noAuth.text(), '');
      const missing = await post(JSON.stringify({ event_type: 'start', origin: 'cloudinit' }));
      assert.equal(missing.status, 400);
      assert.equal(await missing.text(), 'Missing parameter(s) name, description in status message.');
      assert.equal((await post('not json')).status, 400);
      const ok = await post(JSON.stringify({ event_type: 'start', origin: 'cloudinit', name: 'init-network', description: 'searching for network datasources', timestamp: 1 }));
      assert.equal(ok.status, 204);
      const events = (await r.api('GET', `events/?op=query&id=${sid}`)).json().events.map((e: { description: string }) => e.description);
      assert.ok(events.includes("'init-network' searching for network datasources"), events.join('\n'));
      // A token that is not this machine's is dropped silently.
      const other = await fetch(url, { method: 'POST', body: JSON.stringify({ event_type: 'start', origin: 'x', name: 'forged', description: 'd' }),
        headers: { Authorization: 'OAuth oauth_token="nope", oauth_consumer_key="a", oauth_signature="%26b", oauth_signature_method="PLAINTEXT", oauth_timestamp="1", oauth_nonce="n"' } });
      assert.equal(other.status, 204);
      const after = (await r.api('GET', `events/?op=query&id=${sid}`)).json().events.map((e: { description: string }) => e.description);
      assert.ok(!after.some((d: string) => d.includes('forged')));
    });
  });
}
