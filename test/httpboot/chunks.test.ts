/**
 * Bodies are written in chunks from a cache shared between downloads (chunk-cache.ts): the cache
 * itself on real files (sharing, eviction, a changed file, a file that shrank), and ranged and
 * concurrent downloads through the server with a chunk size that does not divide the file, with
 * the cache on and off.
 */
import assert from 'node:assert/strict';
import { open, truncate } from 'node:fs/promises';
import { request } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { ChunkCache } from '../../src/edges/rack/http/chunk-cache.ts';
import { openImage } from '../../src/edges/rack/http/files.ts';
import { StaticBootBackend } from '../../src/edges/rack/http/static-backend.ts';
import { get, ImageStore, startServer, type Running } from './helpers.ts';

describe('ChunkCache', () => {
  const store = new ImageStore();
  const content = store.addRandom('c/file.bin', 10_000);
  after(() => store.cleanup());
  const opened = async () => {
    const f = await openImage(store.root, ['c', 'file.bin']);
    assert.ok(f);
    return f;
  };

  test('one read per chunk, shared by every caller, concurrent or later', async () => {
    const cache = new ChunkCache(3000, 1 << 20);
    const [a, b] = [await opened(), await opened()];
    try {
      const [x, y] = await Promise.all([cache.get(a.identity, a.handle, a.size, 1), cache.get(b.identity, b.handle, b.size, 1)]);
      assert.equal(x, y, 'the concurrent callers got the same buffer');
      assert.ok(x.equals(content.subarray(3000, 6000)));
      assert.equal(await cache.get(b.identity, b.handle, b.size, 1), x);
      const lastChunk = await cache.get(a.identity, a.handle, a.size, 3);
      assert.ok(lastChunk.equals(content.subarray(9000)), 'the last chunk is short');
      assert.equal(cache.bytes, 4000);
    } finally { await Promise.all([a.handle.close(), b.handle.close()]); }
  });

  test('bounded: least recently used chunks go first and are read again when wanted', async () => {
    const cache = new ChunkCache(3000, 6000);
    const f = await opened();
    try {
      const first = await cache.get(f.identity, f.handle, f.size, 0);
      await cache.get(f.identity, f.handle, f.size, 1);
      await cache.get(f.identity, f.handle, f.size, 0); // chunk 0 is now the most recent
      await cache.get(f.identity, f.handle, f.size, 2); // evicts chunk 1
      assert.equal(cache.bytes, 6000);
      assert.equal(await cache.get(f.identity, f.handle, f.size, 0), first);
      const again = await cache.get(f.identity, f.handle, f.size, 1);
      assert.ok(again.equals(content.subarray(3000, 6000)));
      assert.ok(cache.bytes <= 6000);
    } finally { await f.handle.close(); }
  });

  test('size 0 disables sharing: every read is its own', async () => {
    const cache = new ChunkCache(3000, 0);
    const f = await opened();
    try {
      const x = await cache.get(f.identity, f.handle, f.size, 0);
      const y = await cache.get(f.identity, f.handle, f.size, 0);
      assert.notEqual(x, y);
      assert.ok(x.equals(y));
      assert.equal(cache.bytes, 0);
    } finally { await f.handle.close(); }
  });

  test('a rewritten file has another identity: its new content is read', async () => {
    const cache = new ChunkCache(3000, 1 << 20);
    store.add('c/changing.bin', Buffer.alloc(5000, 1));
    const old = await openImage(store.root, ['c', 'changing.bin']);
    assert.ok(old);
    try {
      assert.equal((await cache.get(old.identity, old.handle, old.size, 0))[0], 1);
      await new Promise((r) => setTimeout(r, 20));
      store.add('c/changing.bin', Buffer.alloc(5000, 2)); // rewritten in place, same size
      const now = await openImage(store.root, ['c', 'changing.bin']);
      assert.ok(now);
      try {
        assert.notEqual(now.identity, old.identity);
        assert.equal((await cache.get(now.identity, now.handle, now.size, 0))[0], 2);
      } finally { await now.handle.close(); }
    } finally { await old.handle.close(); }
  });

  test('a file that shrank under a download: the read fails, nothing is cached', async () => {
    const cache = new ChunkCache(3000, 1 << 20);
    const path = store.raw('c/shrinking.bin', Buffer.alloc(9000, 7));
    const h = await open(path, 'r');
    try {
      await truncate(path, 4000);
      await assert.rejects(cache.get('shrinking', h, 9000, 1), /file shrank/);
      await assert.rejects(cache.get('shrinking', h, 9000, 2), /file shrank/);
      assert.equal(cache.bytes, 0);
      assert.ok((await cache.get('shrinking', h, 9000, 0)).equals(Buffer.alloc(3000, 7)));
    } finally { await h.close(); }
  });
});

for (const chunkCacheBytes of [64 * 1024, 0]) {
  describe(`downloads in 1000-octet chunks, chunk cache ${chunkCacheBytes === 0 ? 'off' : 'on'}`, () => {
    const store = new ImageStore();
    const content = store.addRandom('img/odd.bin', 10_007);
    let srv: Running;
    before(async () => { srv = await startServer({ backend: new StaticBootBackend({}), imagesRoot: store.root, chunkBytes: 1000, chunkCacheBytes }); });
    after(async () => { await srv.server.close(); store.cleanup(); });

    const ranges: Array<[number, number]> = [[0, 0], [999, 1000], [1000, 1999], [5, 9998], [10_000, 10_006], [10_006, 10_006], [0, 10_006]];
    for (const [start, end] of ranges) {
      test(`bytes=${start}-${end}`, async () => {
        const r = await get(srv.port, '/images/img/odd.bin', { range: `bytes=${start}-${end}` });
        assert.equal(r.status, 206);
        assert.ok(r.body.equals(content.subarray(start, end + 1)));
      });
    }

    test('a client that goes away: aborted, with the octets handed over so far', async () => {
      store.addRandom('img/big.bin', 16 * 1024 * 1024);
      const before = srv.events.length;
      await new Promise<void>((resolve, reject) => {
        const req = request({ host: '127.0.0.1', port: srv.port, path: '/images/img/big.bin', agent: false }, (res) => {
          res.once('data', () => { req.destroy(); resolve(); });
        });
        req.on('error', (e) => (/socket hang up|aborted/.test(e.message) ? undefined : reject(e)));
        req.end();
      });
      // Events are emitted when a response closes: an earlier test's may still arrive after `before`,
      // so pick this download's own event by its URL.
      const mine = () => srv.events.slice(before).find((x) => x.url === '/images/img/big.bin');
      const deadline = Date.now() + 5000;
      while (!mine() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      const e = mine()!;
      assert.ok(e, 'the aborted download was reported');
      assert.equal(e.aborted, true);
      assert.ok(e.bytes > 0 && e.bytes < 16 * 1024 * 1024, `${e.bytes} octets`);
      assert.match(e.error ?? '', /went away/);
    });

    test('30 concurrent whole downloads are byte-identical and counted', async () => {
      const before = srv.events.length;
      const replies = await Promise.all(Array.from({ length: 30 }, () => get(srv.port, '/images/img/odd.bin')));
      for (const r of replies) assert.ok(r.status === 200 && r.body.equals(content));
      const ours = () => srv.events.slice(before).filter((e) => e.url === '/images/img/odd.bin' && e.status === 200);
      const deadline = Date.now() + 5000;
      while (ours().length < 30 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      assert.equal(ours().length, 30);
      assert.ok(ours().every((e) => e.bytes === content.length && !e.aborted));
    });
  });
}
