/** Users, API keys, SSH keys and web sessions. */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { BACKENDS } from '../helpers/backends.ts';
import { startTestRegion, type TestRegion } from '../helpers/region.ts';

// A real ed25519 public key (generated for these tests; it authorises nothing).
const KEY1 = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB0pCZRyCMOazRsECjMZPDuzBUeuFMkpJzTRQSfWw0qB alice@test';
const KEY2 = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIH2gDAJKk6JZ6/WT2H9mXnGeyqa26MRT0Rw/xHxpWChT bob@test';

for (const kind of BACKENDS) {
  describe(`identity (${kind})`, () => {
    let r: TestRegion;
    before(async () => { r = await startTestRegion(kind); });
    after(async () => { await r.close(); });

    test('users: admin creates, anyone reads, admin deletes', async () => {
      const made = await r.api('POST', 'users/', [['username', 'bob'], ['email', 'bob@example.com'], ['password', 'pw'], ['is_superuser', '0']]);
      assert.equal(made.status, 200, made.text);
      assert.deepEqual(made.json(), { is_superuser: false, username: 'bob', email: 'bob@example.com', is_local: true, resource_uri: '/MAAS/api/2.0/users/bob/' });
      assert.equal((await r.api('POST', 'users/', [['username', 'bob'], ['email', 'b2@example.com'], ['password', 'pw'], ['is_superuser', '0']])).status, 400);
      assert.equal((await r.api('POST', 'users/', [['username', 'carol'], ['email', 'c@example.com'], ['password', 'pw'], ['is_superuser', '0']], r.userKey)).status, 403);
      assert.deepEqual((await r.api('GET', 'users/', [], r.userKey)).json().map((u: { username: string }) => u.username), ['admin', 'alice', 'bob']);
      assert.equal((await r.api('DELETE', 'users/bob/')).status, 204);
      assert.equal((await r.api('GET', 'users/bob/')).status, 404);
    });

    test('API keys: create, list, rename, delete; a deleted key stops working', async () => {
      const made = (await r.api('POST', 'account/?op=create_authorisation_token', [['name', 'ci']], r.userKey)).json();
      assert.equal(made.name, 'ci');
      assert.equal(made.consumer_key.length, 18);
      assert.equal(made.token_key.length, 18);
      assert.equal(made.token_secret.length, 32);
      const key = `${made.consumer_key}:${made.token_key}:${made.token_secret}`;
      assert.equal((await r.api('GET', 'users/?op=whoami', [], key)).json().username, 'alice');
      const list = (await r.api('GET', 'account/?op=list_authorisation_tokens', [], r.userKey)).json();
      assert.ok(list.some((t: { token: string; name: string }) => t.token === key && t.name === 'ci'));
      const renamed = await r.api('POST', 'account/?op=update_token_name', [['token', key], ['name', 'ci-2']], r.userKey);
      assert.deepEqual([renamed.status, renamed.text], [202, 'Accepted']);
      assert.equal((await r.api('POST', 'account/?op=delete_authorisation_token', [['token_key', made.token_key]], r.adminKey)).status, 404, "not someone else's key");
      assert.equal((await r.api('POST', 'account/?op=delete_authorisation_token', [['token_key', made.token_key]], r.userKey)).status, 204);
      assert.equal((await r.api('GET', 'users/?op=whoami', [], key)).status, 401);
    });

    test('SSH keys: add, list, refuse junk and duplicates, import from a key source, delete', async () => {
      const added = await r.api('POST', 'account/prefs/sshkeys/', [['key', KEY1]], r.userKey);
      assert.equal(added.status, 200, added.text);
      assert.equal(added.json().key, KEY1);
      assert.equal((await r.api('POST', 'account/prefs/sshkeys/', [['key', KEY1]], r.userKey)).status, 400);
      assert.equal((await r.api('POST', 'account/prefs/sshkeys/', [['key', 'ssh-rsa not-base64!']], r.userKey)).status, 400);
      assert.equal((await r.api('GET', `account/prefs/sshkeys/${added.json().id}/`, [], r.adminKey)).status, 403);
      // The key source stands in for GitHub/Launchpad: a local HTTP server (no outside network here).
      const src = createServer((req, res) => {
        if (req.url === '/gh/bob.keys') res.end(`${KEY2}\n`); else { res.statusCode = 404; res.end(); }
      });
      await new Promise<void>((ok) => src.listen(0, '127.0.0.1', ok));
      const port = (src.address() as { port: number }).port;
      const { importKeysFrom } = await import('../../src/services/identity/sshkeys.ts');
      const [{ id }] = await r.svc.db.query<{ id: number }>('select id from users where username = $1', ['alice']);
      const actor = { id, username: 'alice', isAdmin: false };
      const urls = { lp: `http://127.0.0.1:${port}/lp/{user}`, gh: `http://127.0.0.1:${port}/gh/{user}.keys` };
      const imported = await importKeysFrom(r.svc, actor, 'gh:bob', urls);
      assert.equal(imported.length, 1);
      assert.equal(imported[0].keysource, 'gh:bob');
      await assert.rejects(importKeysFrom(r.svc, actor, 'gh:nobody', urls), /no such user/);
      await assert.rejects(importKeysFrom(r.svc, actor, 'xx:bob', urls), /keysource must be/);
      src.close();
      const keys = (await r.api('GET', 'account/prefs/sshkeys/', [], r.userKey)).json();
      assert.equal(keys.length, 2);
      assert.equal((await r.api('DELETE', `account/prefs/sshkeys/${added.json().id}/`, [], r.userKey)).status, 204);
      assert.equal((await r.api('GET', 'account/prefs/sshkeys/', [], r.userKey)).json().length, 1);
    });

    test('web session: login, CSRF-protected API writes and logout', async () => {
      const status = await (await fetch(`${r.origin}/MAAS/accounts/login/`)).json();
      assert.deepEqual(status, { authenticated: false, external_auth_url: null, no_users: false });
      const bad = await fetch(`${r.origin}/MAAS/accounts/login/`, { method: 'POST', body: new URLSearchParams({ username: 'alice', password: 'wrong' }) });
      assert.equal(bad.status, 400);
      const ok = await fetch(`${r.origin}/MAAS/accounts/login/`, { method: 'POST', body: new URLSearchParams({ username: 'alice', password: 'alice-pass' }) });
      assert.equal(ok.status, 204);
      const cookies = ok.headers.getSetCookie().map((c) => c.split(';')[0]);
      const session = cookies.find((c) => c.startsWith('sessionid='))!;
      const csrf = cookies.find((c) => c.startsWith('csrftoken='))!.split('=')[1];
      const cookie = cookies.join('; ');
      const who = await fetch(`${r.base}users/?op=whoami`, { headers: { cookie } });
      assert.equal(((await who.json()) as any).username, 'alice');
      const noCsrf = await fetch(`${r.base}account/prefs/sshkeys/`, { method: 'POST', headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' }, body: `key=${encodeURIComponent(KEY1)}` });
      assert.equal(noCsrf.status, 403);
      const tokenRes = await fetch(`${r.origin}/MAAS/account/csrf/`, { method: 'POST', headers: { cookie } });
      assert.equal(((await tokenRes.json()) as any).csrf, csrf);
      assert.equal((await fetch(`${r.origin}/MAAS/accounts/logout/`, { method: 'POST', headers: { cookie } })).status, 403, 'logout is CSRF-protected');
      assert.equal((await fetch(`${r.origin}/MAAS/accounts/logout/`, { method: 'POST', headers: { cookie, 'x-csrftoken': csrf } })).status, 204);
      const after = await fetch(`${r.base}users/?op=whoami`, { headers: { cookie: session } });
      assert.equal(after.status, 401);
    });

    test('python-libmaas login: username/password → API key', async () => {
      const res = await fetch(`${r.origin}/MAAS/accounts/authenticate/`, { method: 'POST', body: new URLSearchParams({ username: 'alice', password: 'alice-pass' }) });
      assert.equal(res.status, 200);
      const t: any = await res.json();
      assert.equal((await r.api('GET', 'users/?op=whoami', [], `${t.consumer_key}:${t.token_key}:${t.token_secret}`)).json().username, 'alice');
      assert.equal((await fetch(`${r.origin}/MAAS/accounts/authenticate/`, { method: 'POST', body: new URLSearchParams({ username: 'alice', password: 'x' }) })).status, 403);
    });
  });
}
