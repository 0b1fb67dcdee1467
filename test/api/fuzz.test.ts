/**
 * Fuzzing the API edge: random and malformed requests to every route in describe/ (random methods, ops,
 * parameters, content types and bodies; good, bad and missing credentials). No answer may be a 5xx, and
 * no refused request (4xx) may change stored data: the store is fingerprinted around each of them.
 * Seeded: PLINTH_FUZZ_SEED reproduces a run; PLINTH_FUZZ_N sets the number of requests.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { signRequest } from '../../src/edges/maas/wire/oauth.ts';
import { startTestRegion, type TestRegion } from '../helpers/region.ts';

const SEED = Number(process.env.PLINTH_FUZZ_SEED ?? Date.now() % 1e9);
const N = Number(process.env.PLINTH_FUZZ_N ?? 1500);

const safeEncode = (s: string) => { try { return encodeURIComponent(s); } catch { return '%ED%A0%80'; } };

function prng(seed: number) {
  let s = seed >>> 0 || 1;
  const next = () => { s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0; return s / 2 ** 32; };
  const int = (n: number) => Math.floor(next() * n);
  const pick = <T>(xs: readonly T[]) => xs[int(xs.length)];
  return { next, int, pick };
}

// Every table but the request bookkeeping (nonces, sessions) and the migration record.
const EXCLUDED = ['oauth_nonces', 'sessions', 'schema_migrations'];

/** One digest of every stored row, computed by the database (cheap enough to take around each request). */
async function fingerprint(r: TestRegion): Promise<string> {
  const tables = (await r.svc.db.query<{ table_name: string }>(
    "select table_name from information_schema.tables where table_schema = current_schema() and table_type = 'BASE TABLE' order by 1"))
    .map((t) => t.table_name).filter((t) => !EXCLUDED.includes(t));
  const parts = tables.map((t) => `select '${t}' as t, md5(coalesce(string_agg(x::text, '|' order by x::text), '')) as h from ${t} x`);
  const rows = await r.svc.db.query<{ t: string; h: string }>(parts.join(' union all '));
  return createHash('sha256').update(rows.map((x) => `${x.t}:${x.h}`).join(',')).digest('hex');
}

describe(`API fuzz (seed ${SEED}, ${N} requests)`, () => {
  let r: TestRegion;
  let sid: string;
  before(async () => {
    r = await startTestRegion('pglite');
    sid = (await r.api('POST', 'machines/', [['architecture', 'amd64'], ['mac_addresses', '52:54:00:ff:00:01'], ['hostname', 'fuzz-1']])).json().system_id;
    await r.api('POST', 'tags/', [['name', 'fz']]);
    await r.api('POST', 'zones/', [['name', 'fz']]);
  });
  after(async () => { await r.close(); });

  test('no 5xx; refused requests change nothing', async () => {
    const rnd = prng(SEED);
    const desc: any = await (await fetch(`${r.base}describe/`)).json();
    const handlers = desc.resources.flatMap((x: { anon: unknown; auth: unknown }) => [x.auth, x.anon].filter(Boolean)) as
      Array<{ path: string; params: string[]; actions: Array<{ method: string; op: string | null; doc: string }> }>;
    const garbage = () => rnd.pick([
      '', ' ', '0', '-1', '99999999999999999999', '1e309', 'NaN', 'true', 'null', '[]', '{}', '\u0000', '%00', '../../etc/passwd',
      "' or 1=1 --", 'a'.repeat(5000), '😀', '\ud800', '52:54:00:00:00:01', 'fz', sid, 'default', 'amd64', 'ipmi', '10.0.0.1', 'x=y&z', '<xml/>',
    ]);
    const pathValue = () => rnd.pick([sid, 'fz', 'default', '0', '1', 'admin', 'nope', '%2e%2e', '..', 'a%2Fb', '9'.repeat(30), '%ff']);
    const bodies: Array<() => { ct?: string; body?: string | Buffer }> = [
      () => ({}),
      () => ({ ct: 'application/x-www-form-urlencoded', body: Array.from({ length: rnd.int(5) }, () => `${garbage()}=${safeEncode(garbage())}`).join('&') }),
      () => ({ ct: 'multipart/form-data; boundary="==b=="', body: `--==b==\r\nContent-Disposition: form-data; name="${garbage()}"\r\nContent-Transfer-Encoding: base64\r\n\r\n${garbage()}\r\n--==b==--` }),
      () => ({ ct: 'multipart/form-data; boundary=q', body: Buffer.from(Array.from({ length: rnd.int(300) }, () => rnd.int(256))) }),
      () => ({ ct: 'application/json', body: rnd.pick(['{', '[1,2', '{"a":1}', 'null', '"x"', garbage()]) }),
      () => ({ ct: undefined, body: '{"name": "x", "event_type": 1}' }),
      () => ({ ct: rnd.pick(['text/plain', 'application/octet-stream', 'image/png', 'multipart/mixed']), body: garbage() }),
    ];
    const [ck, tk, ts] = r.adminKey.split(':');
    const failures: string[] = [];
    for (let i = 0; i < N; i++) {
      const h = rnd.pick(handlers);
      const action = rnd.next() < 0.8 ? rnd.pick(h.actions) : { method: rnd.pick(['GET', 'POST', 'PUT', 'DELETE', 'PATCH']), op: rnd.pick([null, 'frob', 'read', '']), doc: '' };
      let path = h.path;
      for (const p of h.params) path = path.replace(`{${p}}`, pathValue());
      const q = new URLSearchParams();
      if (action.op !== null) q.set('op', action.op);
      const params = [...action.doc.matchAll(/:param (\w+):/g)].map((m) => m[1]);
      for (let k = rnd.int(4); k > 0; k--) q.append(params.length && rnd.next() < 0.8 ? rnd.pick(params) : garbage().slice(0, 30), garbage());
      const url = `${r.origin}${path}${q.size ? `?${q.toString()}` : ''}`;
      const { ct, body } = action.method === 'GET' ? {} : rnd.pick(bodies)();
      const headers: Record<string, string> = {};
      if (ct) headers['content-type'] = ct;
      const auth = rnd.next();
      if (auth < 0.6) headers.authorization = signRequest({ method: action.method, url, consumerKey: ck, token: tk, tokenSecret: ts });
      else if (auth < 0.75) headers.authorization = signRequest({ method: action.method, url, consumerKey: ck, token: tk, tokenSecret: 'bad' });
      else if (auth < 0.85) headers.authorization = rnd.pick(['OAuth', 'OAuth ,,,', 'Basic abc', `OAuth oauth_token="${tk}", oauth_nonce=`, 'OAuth realm="x", oauth_timestamp="abc", oauth_nonce="1", oauth_consumer_key="a", oauth_token="b", oauth_signature="c", oauth_signature_method="PLAINTEXT"']);
      const mutating = action.method !== 'GET';
      const before = mutating ? await fingerprint(r) : '';
      let status: number;
      try {
        const res = await fetch(url, { method: action.method, headers, body: body });
        status = res.status;
        await res.arrayBuffer();
      } catch (err) {
        failures.push(`#${i} ${action.method} ${url}: transport error ${(err as Error).message}`);
        continue;
      }
      if (status >= 500) failures.push(`#${i} ${action.method} ${url} [${ct}] → ${status}`);
      if (mutating && status >= 400 && (await fingerprint(r)) !== before) failures.push(`#${i} ${action.method} ${url} → ${status} but the store changed`);
    }
    assert.deepEqual(failures, [], `seed ${SEED}`);
  });
});
