/**
 * The HTTP boot server over real loopback sockets: HEAD, path traversal, incomplete images,
 * concurrent downloads, bootloader binaries, methods, events and stats, idle timeouts.
 */
import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { connect } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { StaticBootBackend } from '../../src/edges/rack/http/static-backend.ts';
import { get, ImageStore, rawStatus, sha256, startServer, type Running } from './helpers.ts';

const store = new ImageStore();
const kernel = store.addRandom('ubuntu/amd64/ga-24.04/noble/stable/boot-kernel', 3 * 1024 * 1024 + 17);
const big = store.addRandom('big/squashfs', 8 * 1024 * 1024);
const outside = store.raw('../outside.txt', 'secret\n');
store.symlink('evil', outside);
writeFileSync(join(store.root, 'evil.sha256'), `${sha256('secret\n')}  evil\n`);
const fakeLoaderDir = store.raw('../loaders/tiny.efi', Buffer.from('MZ tiny loader'));
const IPXE = '/usr/lib/ipxe';

let srv: Running;
before(async () => {
  srv = await startServer({
    backend: new StaticBootBackend({}),
    imagesRoot: store.root,
    bootloaders: { 'ipxe.efi': `${IPXE}/ipxe.efi`, 'undionly.kpxe': `${IPXE}/undionly.kpxe`, 'tiny.efi': fakeLoaderDir, 'gone.efi': '/nonexistent/gone.efi' },
  });
});
after(async () => {
  await srv.server.close();
  store.cleanup();
});

describe('HEAD', () => {
  test('an image: the GET headers, no body', async () => {
    const h = await get(srv.port, '/images/ubuntu/amd64/ga-24.04/noble/stable/boot-kernel', {}, 'HEAD');
    const g = await get(srv.port, '/images/ubuntu/amd64/ga-24.04/noble/stable/boot-kernel');
    assert.equal(h.status, 200);
    assert.equal(h.body.length, 0);
    for (const name of ['content-length', 'etag', 'last-modified', 'accept-ranges', 'content-type']) {
      assert.equal(h.headers[name], g.headers[name], name);
    }
    assert.equal(h.headers['content-length'], String(kernel.length));
    assert.equal(h.headers['content-type'], 'application/octet-stream');
  });
  test('Range is ignored for HEAD (defined for GET only)', async () => {
    const h = await get(srv.port, '/images/big/squashfs', { range: 'bytes=0-9' }, 'HEAD');
    assert.equal(h.status, 200);
    assert.equal(h.headers['content-length'], String(big.length));
  });
  test('a missing image: 404 without a body', async () => {
    const h = await get(srv.port, '/images/nope', {}, 'HEAD');
    assert.equal(h.status, 404);
    assert.equal(h.body.length, 0);
  });
});

describe('path traversal is refused', () => {
  const table: Array<[string, number]> = [
    ['/images/../outside.txt', 400],
    ['/images/ubuntu/../../outside.txt', 400],
    ['/images/%2e%2e/outside.txt', 400],
    ['/images/%2E%2E%2Foutside.txt', 400],
    ['/images/ubuntu%2f..%2f..%2foutside.txt', 400],
    ['/images/..%5coutside.txt', 400],
    ['/images/a%00b', 400],
    ['/images/%zz', 400],
    ['/images//big/squashfs', 400],
    ['/images/./big/squashfs', 400],
    ['/..%2fetc/passwd', 400],
    ['/images/evil', 403],
    ['relative/path', 400],
  ];
  for (const [target, status] of table) {
    test(`${target} → ${status}`, async () => assert.equal(await rawStatus(srv.port, target), status));
  }
  test('refusals are counted', () => assert.ok(srv.server.stats.refused >= table.length - 1));
});

describe('only complete images are served', () => {
  const s = new ImageStore();
  let r: Running;
  before(async () => {
    r = await startServer({ backend: new StaticBootBackend({}), imagesRoot: s.root });
    s.add('done', Buffer.from('complete'));
    s.add('redownloading', Buffer.from('old'));
    s.raw('redownloading.partial', 'ne');
    s.raw('unmarked', 'no marker yet');
    s.raw('badmarker', 'x');
    s.raw('badmarker.sha256', 'not-a-checksum\n');
    s.raw('dir/inner', 'x');
    s.raw('dir.sha256', `${'0'.repeat(64)}  dir\n`);
  });
  after(async () => {
    await r.server.close();
    s.cleanup();
  });
  const table: Array<[string, number]> = [
    ['done', 200],
    ['redownloading', 404],
    ['redownloading.partial', 404],
    ['unmarked', 404],
    ['badmarker', 404],
    ['done.sha256', 404],
    ['dir', 404],
    ['missing', 404],
  ];
  for (const [name, status] of table) {
    test(`images/${name} → ${status}`, async () => assert.equal((await get(r.port, `/images/${name}`)).status, status));
  }
  test('an image becomes visible once its .partial is gone', async () => {
    s.add('redownloading', Buffer.from('new!'));
    assert.equal((await get(r.port, '/images/redownloading')).status, 404);
    rmSync(join(s.root, 'redownloading.partial'));
    const after = await get(r.port, '/images/redownloading');
    assert.equal(after.status, 200);
    assert.equal(after.body.toString(), 'new!');
  });
});

describe('downloads', () => {
  test('50 concurrent downloads (whole and ranged) are byte-identical', async () => {
    const jobs = Array.from({ length: 50 }, (_, i) => {
      if (i % 5 === 4) {
        const start = i * 100_003;
        const end = start + 1_000_000;
        return get(srv.port, '/images/big/squashfs', { range: `bytes=${start}-${end}` }).then((r) => {
          assert.equal(r.status, 206);
          assert.ok(r.body.equals(big.subarray(start, end + 1)));
        });
      }
      return get(srv.port, '/images/big/squashfs').then((r) => {
        assert.equal(r.status, 200);
        assert.equal(sha256(r.body), sha256(big));
      });
    });
    await Promise.all(jobs);
  });

  test('resuming an interrupted download with Range + If-Range reassembles the file', async () => {
    const path = '/images/ubuntu/amd64/ga-24.04/noble/stable/boot-kernel';
    const first = await get(srv.port, path, { range: 'bytes=0-1048575' });
    const rest = await get(srv.port, path, { range: 'bytes=1048576-', 'if-range': String(first.headers.etag) });
    assert.equal(rest.status, 206);
    assert.ok(Buffer.concat([first.body, rest.body]).equals(kernel));
  });
});

describe('bootloaders at the paths the DHCP server announces', () => {
  for (const name of ['ipxe.efi', 'undionly.kpxe']) {
    test(`/${name} is Debian's ${IPXE}/${name}`, async () => {
      const r = await get(srv.port, `/${name}`);
      assert.equal(r.status, 200, `is the ipxe package installed? (apt-get install ipxe)`);
      assert.ok(r.body.equals(readFileSync(`${IPXE}/${name}`)));
      assert.equal(r.headers['accept-ranges'], 'bytes');
    });
  }
  test('a configured loader is served with ranges', async () => {
    const r = await get(srv.port, '/tiny.efi', { range: 'bytes=0-1' });
    assert.equal(r.status, 206);
    assert.equal(r.body.toString(), 'MZ');
  });
  test('a configured but missing loader, or an unknown name: 404', async () => {
    assert.equal((await get(srv.port, '/gone.efi')).status, 404);
    assert.equal((await get(srv.port, '/bootx64.efi')).status, 404);
    assert.equal((await get(srv.port, '/toString')).status, 404);
  });
});

describe('methods, events and stats', () => {
  test('POST, PUT, DELETE: 405 with Allow', async () => {
    for (const m of ['POST', 'PUT', 'DELETE', 'OPTIONS']) {
      const r = await get(srv.port, '/images/big/squashfs', {}, m);
      assert.equal(r.status, 405);
      assert.equal(r.headers.allow, 'GET, HEAD');
    }
  });

  test('each request ends in one event with status, kind, bytes and range', async () => {
    const before = srv.events.length;
    const bytesBefore = srv.server.stats.bytesSent;
    await get(srv.port, '/images/big/squashfs', { range: 'bytes=10-19' });
    await get(srv.port, '/ipxe.efi', {}, 'HEAD');
    await get(srv.port, '/nothing-here');
    await srv.eventCount(before + 3);
    const [a, b, c] = srv.events.slice(before);
    assert.deepEqual({ kind: a.kind, status: a.status, bytes: a.bytes, range: a.range, aborted: a.aborted, remoteIp: a.remoteIp },
      { kind: 'image', status: 206, bytes: 10, range: { start: 10, end: 19 }, aborted: false, remoteIp: '127.0.0.1' });
    assert.deepEqual({ kind: b.kind, status: b.status, bytes: b.bytes, method: b.method }, { kind: 'bootloader', status: 200, bytes: 0, method: 'HEAD' });
    assert.deepEqual({ kind: c.kind, status: c.status, url: c.url }, { kind: 'other', status: 404, url: '/nothing-here' });
    assert.equal(srv.server.stats.bytesSent - bytesBefore, 10);
    assert.equal(srv.server.stats.active, 0);
  });

  test('a client that goes away mid-download: the event says aborted, the read stops', async () => {
    const before = srv.events.length;
    await new Promise<void>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: srv.port, path: '/images/big/squashfs', agent: false }, (res) => {
        res.once('data', () => { req.destroy(); resolve(); });
      });
      req.on('error', (e) => (e.message.includes('socket hang up') || e.message.includes('aborted') ? undefined : reject(e)));
      req.end();
    });
    await srv.eventCount(before + 1);
    const e = srv.events[before];
    assert.equal(e.aborted, true);
    assert.ok(e.bytes < big.length, `read ${e.bytes} of ${big.length}`);
  });
});

describe('idle timeout', () => {
  const s = new ImageStore();
  const file = s.addRandom('huge', 48 * 1024 * 1024);
  let r: Running;
  before(async () => { r = await startServer({ backend: new StaticBootBackend({}), imagesRoot: s.root, idleTimeoutMs: 300 }); });
  after(async () => {
    await r.server.close();
    s.cleanup();
  });

  test('a connection that sends nothing is closed', async () => {
    const t0 = Date.now();
    await new Promise<void>((resolve, reject) => {
      const sock = connect(r.port, '127.0.0.1');
      sock.on('close', () => resolve());
      sock.on('error', reject);
    });
    const took = Date.now() - t0;
    assert.ok(took >= 250 && took < 3000, `closed after ${took} ms`);
  });

  test('a download whose client stops reading is cut off', async () => {
    const before = r.events.length;
    const sock = connect(r.port, '127.0.0.1', () => sock.write('GET /images/huge HTTP/1.1\r\nHost: x\r\n\r\n'));
    sock.once('data', () => sock.pause());
    const closed = new Promise<void>((resolve) => sock.on('close', () => resolve()));
    await r.eventCount(before + 1, 5000);
    const e = r.events[before];
    assert.equal(e.aborted, true);
    assert.ok(e.bytes < file.length);
    sock.destroy();
    await closed;
  });
});
