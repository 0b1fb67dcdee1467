/**
 * The region's download route for racks, on its own Fastify instance: path traversal in every
 * spelling is refused before anything is opened, a token is required (and must be the region's,
 * for the rack, unexpired), only marked complete files are served, with ranges.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'node:http';
import Fastify, { type FastifyInstance } from 'fastify';
import { registerImageRoute } from '../../src/edges/rpc/images-route.ts';
import { checkImageToken, issueImageToken, tokenFromHeader } from '../../src/edges/rack/images/protocol.ts';
import { putImage, sha256 } from './files.ts';

const dir = mkdtempSync(join(tmpdir(), 'plinth-imgroute-'));
const root = join(dir, 'images');
const SECRET = 'ab'.repeat(32);
const OTHER = 'cd'.repeat(32);
let app: FastifyInstance;
let data: Buffer;
const now = () => Math.floor(Date.now() / 1000);
const auth = (token = issueImageToken(SECRET, 'abc123', now())) => ({ authorization: `PlinthImage ${token}` });
const get = (url: string, headers: Record<string, string> = auth()) => app.inject({ method: 'GET', url, headers });
let port = 0;
/** Over a real socket: the request target goes out exactly as written (inject would normalise it). */
const raw = (path: string, headers: Record<string, string> = auth()) => new Promise<{ status: number; body: string }>((resolve, reject) => {
  const req = request({ host: '127.0.0.1', port, path, headers }, (res) => {
    let body = '';
    res.on('data', (c) => { body += c; });
    res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
  });
  req.on('error', reject);
  req.end();
});

before(async () => {
  data = putImage(root, 'ephemeral/amd64/bookworm/boot-kernel', 4096);
  putImage(root, 'ephemeral/amd64/bookworm/unmarked', 10, { noMarker: true });
  putImage(root, 'ephemeral/amd64/bookworm/half', 10);
  writeFileSync(join(root, 'ephemeral/amd64/bookworm/half.partial'), 'x');
  mkdirSync(join(dir, 'outside'));
  putImage(join(dir, 'outside'), 'secret', 10);
  symlinkSync(join(dir, 'outside', 'secret'), join(root, 'escape'));
  writeFileSync(join(root, 'escape.sha256'), `${sha256(Buffer.from('x'))}  escape\n`);
  app = Fastify();
  registerImageRoute(app, { root, secret: async () => SECRET });
  await app.listen({ port: 0, host: '127.0.0.1' });
  port = (app.server.address() as { port: number }).port;
});

after(async () => {
  await app.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('GET /MAAS/rpc/images/<path>', () => {
  it('refuses path traversal in every spelling (400), before looking at the token', async () => {
    for (const p of ['%2e%2e/outside/secret', 'ephemeral/%2e%2e/%2e%2e/%2e%2e/outside/secret', 'ephemeral%2f..%2f..%2fsecret',
      'ephemeral/amd64/.', '..%5c..%5csecret', 'a//b', 'ephemeral/%00/x', '%zz']) {
      const res = await raw(`/MAAS/rpc/images/${p}`, {});
      assert.equal(res.status, 400, `${p}: ${res.body}`);
    }
    for (const p of ['/MAAS/rpc/images/../../outside/secret', '/MAAS/rpc/images/ephemeral/../../outside/secret']) {
      const res = await raw(p);
      assert.equal(res.status, 400, `${p}: ${res.body}`);
    }
  });

  it('refuses a symlink that leads outside the directory (403)', async () => {
    assert.equal((await get('/MAAS/rpc/images/escape')).statusCode, 403);
  });

  it('needs a valid token: none, garbage, another secret, expired → 401', async () => {
    const url = '/MAAS/rpc/images/ephemeral/amd64/bookworm/boot-kernel';
    assert.equal((await get(url, {})).statusCode, 401);
    assert.equal((await get(url, { authorization: 'PlinthImage nope' })).statusCode, 401);
    assert.equal((await get(url, auth(issueImageToken(OTHER, 'abc123', now())))).statusCode, 401);
    assert.equal((await get(url, auth(issueImageToken(SECRET, 'abc123', now() - 7200, 3600)))).statusCode, 401);
    const forged = issueImageToken(SECRET, 'abc123', now()).replace(/^abc123/, 'zzz999');
    assert.equal((await get(url, auth(forged))).statusCode, 401, 'the rack id is covered by the MAC');
  });

  it('serves only complete files: markers, partials and unmarked files are 404 or 400', async () => {
    assert.equal((await get('/MAAS/rpc/images/ephemeral/amd64/bookworm/unmarked')).statusCode, 404);
    assert.equal((await get('/MAAS/rpc/images/ephemeral/amd64/bookworm/half')).statusCode, 404);
    assert.equal((await get('/MAAS/rpc/images/ephemeral/amd64/bookworm/boot-kernel.sha256')).statusCode, 400);
    assert.equal((await get('/MAAS/rpc/images/ephemeral/amd64/bookworm/half.partial')).statusCode, 400);
    assert.equal((await get('/MAAS/rpc/images/nothing/here')).statusCode, 404);
  });

  it('serves a complete file whole and by range', async () => {
    const url = '/MAAS/rpc/images/ephemeral/amd64/bookworm/boot-kernel';
    const whole = await get(url);
    assert.equal(whole.statusCode, 200);
    assert.ok(whole.rawPayload.equals(data));
    const part = await app.inject({ method: 'GET', url, headers: { ...auth(), range: 'bytes=1000-' } });
    assert.equal(part.statusCode, 206);
    assert.equal(part.headers['content-range'], `bytes 1000-4095/4096`);
    assert.ok(part.rawPayload.equals(data.subarray(1000)));
    const head = await app.inject({ method: 'HEAD', url, headers: auth() });
    assert.equal(head.statusCode, 200);
    assert.equal(head.headers['content-length'], '4096');
  });
});

describe('image tokens', () => {
  it('name the rack, expire, and bind to the secret', () => {
    const t = issueImageToken(SECRET, 'abc123', 1000, 600);
    assert.equal(checkImageToken(SECRET, t, 1000), 'abc123');
    assert.equal(checkImageToken(SECRET, t, 1600), null, 'expired');
    assert.equal(checkImageToken(OTHER, t, 1000), null);
    assert.equal(checkImageToken(SECRET, issueImageToken(SECRET, 'abc123', 1000, 999_999), 1000), null, 'too long-lived to be ours');
    assert.equal(tokenFromHeader(`PlinthImage ${t}`), t);
    assert.equal(tokenFromHeader(`Bearer ${t}`), null);
  });
});
