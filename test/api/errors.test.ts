/** Every error path of the API edge, on both stores: statuses, MAAS's texts, Date headers. */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { signRequest } from '../../src/edges/maas/wire/oauth.ts';
import { BACKENDS } from '../helpers/backends.ts';
import { startTestRegion, type TestRegion } from '../helpers/region.ts';

for (const kind of BACKENDS) {
  describe(`API errors (${kind})`, () => {
    let r: TestRegion;
    before(async () => { r = await startTestRegion(kind); });
    after(async () => { await r.close(); });

    const signed = (method: string, url: string, key: string, extra: { timestamp?: number; nonce?: string; method_?: 'PLAINTEXT' | 'HMAC-SHA1' } = {}) => {
      const [ck, tk, ts] = key.split(':');
      return signRequest({ method, url, consumerKey: ck, token: tk, tokenSecret: ts, ...extra });
    };

    test('version endpoints and retired 1.0 API', async () => {
      const v = await fetch(`${r.origin}/MAAS/api/version/`);
      assert.equal(v.status, 200);
      assert.equal(await v.text(), '2.0');
      const old = await fetch(`${r.origin}/MAAS/api/1.0/machines/`);
      assert.equal(old.status, 410);
      assert.equal(await old.text(), 'The 1.0 API is no longer available. Please use API version 2.0.');
      const ver = await r.api('GET', 'version/', [], null);
      assert.equal(ver.status, 200);
      assert.ok(ver.json().capabilities.includes('network-deployment-ubuntu'));
    });

    test('unknown endpoint → 404 with MAAS text', async () => {
      const res = await r.api('GET', 'no-such-thing/');
      assert.equal(res.status, 404);
      assert.equal(res.text, 'Unknown API endpoint: /MAAS/api/2.0/no-such-thing/.');
    });

    test('whoami: 200 for a good key, 401 for none', async () => {
      const ok = await r.api('GET', 'users/?op=whoami');
      assert.equal(ok.status, 200);
      assert.equal(ok.json().username, 'admin');
      const anon = await r.api('GET', 'users/?op=whoami', [], null);
      assert.equal(anon.status, 401);
    });

    test('bad signature → 401 with an accurate Date header', async () => {
      const url = `${r.base}machines/`;
      const [ck, tk] = r.adminKey.split(':');
      const res = await fetch(url, { headers: { Authorization: signRequest({ method: 'GET', url, consumerKey: ck, token: tk, tokenSecret: 'wrong-secret' }) } });
      assert.equal(res.status, 401);
      assert.match(await res.text(), /^Authorization Error: /);
      const date = Date.parse(res.headers.get('date') ?? '');
      assert.ok(Math.abs(date - Date.now()) < 5000, 'Date header present and accurate');
    });

    test('unknown token → 401 naming the token', async () => {
      const url = `${r.base}machines/`;
      const res = await fetch(url, { headers: { Authorization: signRequest({ method: 'GET', url, consumerKey: 'x', token: 'NoSuchToken', tokenSecret: 's' }) } });
      assert.equal(res.status, 401);
      assert.equal(await res.text(), "Authorization Error: 'Invalid access token: NoSuchToken'");
    });

    test('replayed nonce → 401; HMAC-SHA1 accepted', async () => {
      const url = `${r.base}zones/`;
      const auth = signed('GET', url, r.adminKey, { nonce: 'fixed-nonce-1' });
      assert.equal((await fetch(url, { headers: { Authorization: auth } })).status, 200);
      const again = await fetch(url, { headers: { Authorization: auth } });
      assert.equal(again.status, 401);
      assert.match(await again.text(), /Nonce already used/);
      const hmac = await fetch(`${url}?name=x`, { headers: { Authorization: signed('GET', `${url}?name=x`, r.adminKey, { method_: 'HMAC-SHA1' }) } });
      assert.equal(hmac.status, 200);
    });

    test('expired timestamp → 401 with MAAS text; future timestamps pass', async () => {
      const url = `${r.base}zones/`;
      const old = await fetch(url, { headers: { Authorization: signed('GET', url, r.adminKey, { timestamp: Math.floor(Date.now() / 1000) - 400 }) } });
      assert.equal(old.status, 401);
      assert.match(await old.text(), /Expired timestamp: given \d+ and now \d+ has a greater difference than threshold 300/);
      const future = await fetch(url, { headers: { Authorization: signed('GET', url, r.adminKey, { timestamp: Math.floor(Date.now() / 1000) + 100 }) } });
      assert.equal(future.status, 200);
    });

    test('unknown op → 400 Unrecognised signature; wrong method → 405 with Allow', async () => {
      const res = await r.api('POST', 'machines/?op=frobnicate');
      assert.equal(res.status, 400);
      assert.equal(res.text, 'Unrecognised signature: method=POST op=frobnicate');
      const put = await r.api('PUT', 'zones/');
      assert.equal(put.status, 405);
    });

    test('missing objects → 404 with Django text', async () => {
      assert.deepEqual([(await r.api('GET', 'machines/abc123/')).status, (await r.api('GET', 'machines/abc123/')).text], [404, 'No Machine matches the given query.']);
      assert.equal((await r.api('GET', 'zones/nope/')).text, 'No Zone matches the given query.');
      assert.equal((await r.api('GET', 'tags/nope/')).text, 'No Tag matches the given query.');
      assert.equal((await r.api('GET', 'users/nobody/')).text, 'No User matches the given query.');
    });

    test('non-admin on admin op → 403', async () => {
      const res = await r.api('POST', 'zones/', [['name', 'z1']], r.userKey);
      assert.equal(res.status, 403);
      assert.equal(res.text, 'This method is reserved for admin users.');
      const cfg = await r.api('POST', 'maas/?op=set_config', [['name', 'maas_name'], ['value', 'x']], r.userKey);
      assert.equal(cfg.status, 403);
    });

    test('malformed bodies → 400, never 500', async () => {
      const url = `${r.base}zones/`;
      const cases: Array<[string, string | Buffer]> = [
        ['multipart/form-data', '--x\r\n'],
        ['multipart/form-data; boundary=abc', '--abc\r\nContent-Disposition: form-data; name="a"\r\n\r\nvalue-without-end'],
        ['application/json', '{not json'],
        ['application/x-www-form-urlencoded', 'name=%ZZ'],
      ];
      for (const [ct, body] of cases) {
        const res = await fetch(url, { method: 'POST', headers: { 'Content-Type': ct, Authorization: signed('POST', url, r.adminKey) }, body });
        assert.equal(res.status, 400, `${ct}: ${await res.clone().text()}`);
      }
    });

    test('validation errors → 400 JSON field errors', async () => {
      const res = await r.api('POST', 'machines/', [['architecture', 'amd64'], ['mac_addresses', 'not-a-mac']]);
      assert.equal(res.status, 400);
      assert.match(res.contentType, /^application\/json/);
      assert.ok(res.json().mac_addresses[0].includes('invalid'));
      const cfg = await r.api('GET', 'maas/?op=get_config&name=bogus');
      assert.equal(cfg.status, 400);
      assert.match(cfg.json().bogus[0], /bogus is not a valid config setting \(valid settings are: .*maas_name/);
    });

    test('every API response carries X-MAAS-API-Hash equal to describe.hash', async () => {
      const d = await fetch(`${r.base}describe/`);
      assert.equal(d.headers.get('content-type'), 'application/json');
      const hash = ((await d.json()) as { hash: string }).hash;
      assert.match(hash, /^[0-9a-f]{40}$/);
      for (const path of ['zones/', 'no-such/', 'machines/xyz/']) {
        const res = await fetch(`${r.base}${path}`, { headers: { Authorization: signed('GET', `${r.base}${path}`, r.adminKey) } });
        assert.equal(res.headers.get('x-maas-api-hash'), hash, path);
      }
    });
  });
}
