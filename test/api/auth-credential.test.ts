/**
 * The credential behind each OAuth request is read fresh with its nonce (one statement): a change to
 * the token's user shows on the very next request, and machine reads served from the render cache
 * still follow the caller's visibility.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createToken, formatKey } from '../../src/services/identity/tokens.ts';
import { BACKENDS } from '../helpers/backends.ts';
import { startTestRegion, type TestRegion } from '../helpers/region.ts';

for (const kind of BACKENDS) {
  describe(`OAuth credential (${kind})`, () => {
    let r: TestRegion;
    before(async () => { r = await startTestRegion(kind); });
    after(async () => { await r.close(); });

    test('admin flag and deactivation take effect on the next request', async () => {
      assert.equal((await r.api('POST', 'zones/', [['name', 'cz1']], r.userKey)).status, 403);
      await r.svc.db.query("update users set is_superuser = true where username = 'alice'");
      assert.equal((await r.api('POST', 'zones/', [['name', 'cz1']], r.userKey)).status, 200, 'promoted: admin op allowed at once');
      await r.svc.db.query("update users set is_superuser = false, is_active = false where username = 'alice'");
      const off = await r.api('GET', 'users/?op=whoami', [], r.userKey);
      assert.deepEqual([off.status, off.text], [403, 'User is not allowed access to this API.']);
      await r.svc.db.query("update users set is_active = true where username = 'alice'");
      const on = await r.api('GET', 'users/?op=whoami', [], r.userKey);
      assert.equal(on.status, 200);
      assert.equal(on.json().username, 'alice');
      const [{ id: aliceId }] = await r.svc.db.query<{ id: number }>("select id from users where username = 'alice'");
      const extra = await createToken(r.svc.db, aliceId, 'extra');
      assert.equal((await r.api('GET', 'users/?op=whoami', [], formatKey(extra))).status, 200);
      await r.svc.db.query('delete from api_tokens where id = $1', [extra.id]);
      assert.equal((await r.api('GET', 'users/?op=whoami', [], formatKey(extra))).status, 401, 'deleted token');
    });

    test('a machine read (version from the credential statement) follows visibility', async () => {
      const m = (await r.api('POST', 'machines/', [['architecture', 'amd64'], ['mac_addresses', '52:54:00:cc:00:01'], ['hostname', 'cred-1']])).json();
      const read = (key: string) => r.api('GET', `machines/${m.system_id}/`, [], key);
      const first = await read(r.adminKey);
      assert.equal(first.status, 200);
      assert.match(first.contentType, /^application\/json/);
      assert.equal((await read(r.adminKey)).text, first.text, 'cache hit: same bytes');
      assert.equal((await r.api('POST', 'users/', [['username', 'bob'], ['password', 'bob-pass'], ['email', 'bob@example.com'], ['is_superuser', '0']])).status, 200);
      const [{ id: bobId }] = await r.svc.db.query<{ id: number }>("select id from users where username = 'bob'");
      const bobKey = formatKey(await createToken(r.svc.db, bobId, 'bob'));
      assert.equal((await read(r.userKey)).status, 200, 'unowned: visible to a plain user');
      await r.svc.db.query('update nodes set owner_id = $1 where system_id = $2', [bobId, m.system_id]);
      const other = await read(r.userKey);
      assert.deepEqual([other.status, other.text], [404, 'No Machine matches the given query.'], "another user's machine");
      const own = await read(bobKey);
      assert.equal(own.status, 200, 'owner');
      assert.equal(own.json().hostname, 'cred-1');
      assert.equal((await read(r.adminKey)).status, 200, 'admin');
      // The hot path: a cached read by its owner is ONE statement (credential, nonce and version together).
      const db = r.svc.db as { query: (...a: unknown[]) => Promise<unknown[]> };
      const query = db.query;
      let statements = 0;
      db.query = (...a: unknown[]) => { statements++; return query.apply(r.svc.db, a); };
      try { assert.equal((await read(bobKey)).status, 200); } finally { db.query = query; }
      assert.equal(statements, 1, 'statements for one cached machine read');
      const gone = await r.api('GET', 'machines/nosuch/', [], r.userKey);
      assert.deepEqual([gone.status, gone.text], [404, 'No Machine matches the given query.']);
    });
  });
}
