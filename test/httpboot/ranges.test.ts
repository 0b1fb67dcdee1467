/**
 * Byte ranges and conditional requests (RFC 9110 §13, §14) over a real loopback socket, table-driven:
 * each row is request headers → status, Content-Range and the bytes expected.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { StaticBootBackend } from '../../src/edges/rack/http/static-backend.ts';
import { get, ImageStore, startServer, type Running } from './helpers.ts';

const SIZE = 1000;
const store = new ImageStore();
const content = store.addRandom('img/file.bin', SIZE);
store.add('img/empty.bin', Buffer.alloc(0));
let srv: Running;
let etag = '';
let lastModified = '';

before(async () => {
  srv = await startServer({ backend: new StaticBootBackend({}), imagesRoot: store.root });
  const r = await get(srv.port, '/images/img/file.bin', {}, 'HEAD');
  etag = String(r.headers.etag);
  lastModified = String(r.headers['last-modified']);
});
after(async () => {
  await srv.server.close();
  store.cleanup();
});

type Row = [name: string, headers: () => Record<string, string>, status: number, slice?: [number, number]];
const rows: Row[] = [
  ['no Range: whole file', () => ({}), 200, [0, 999]],
  ['first 100 bytes', () => ({ range: 'bytes=0-99' }), 206, [0, 99]],
  ['one byte at the start', () => ({ range: 'bytes=0-0' }), 206, [0, 0]],
  ['the last byte by position', () => ({ range: 'bytes=999-999' }), 206, [999, 999]],
  ['open-ended', () => ({ range: 'bytes=900-' }), 206, [900, 999]],
  ['suffix', () => ({ range: 'bytes=-100' }), 206, [900, 999]],
  ['suffix longer than the file: all of it', () => ({ range: 'bytes=-5000' }), 206, [0, 999]],
  ['last-pos past the end is clamped', () => ({ range: 'bytes=990-5000' }), 206, [990, 999]],
  ['whitespace and case are tolerated', () => ({ range: 'Bytes = 10-19' }), 206, [10, 19]],
  ['first-pos at the size: unsatisfiable', () => ({ range: 'bytes=1000-' }), 416],
  ['first-pos past the size: unsatisfiable', () => ({ range: 'bytes=5000-6000' }), 416],
  ['zero-length suffix: unsatisfiable', () => ({ range: 'bytes=-0' }), 416],
  ['last < first is invalid: ignored', () => ({ range: 'bytes=5-1' }), 200, [0, 999]],
  ['several ranges: ignored (single ranges only)', () => ({ range: 'bytes=0-1,5-6' }), 200, [0, 999]],
  ['other unit: ignored', () => ({ range: 'items=0-5' }), 200, [0, 999]],
  ['garbage: ignored', () => ({ range: 'bytes=abc' }), 200, [0, 999]],
  ['bare dash: ignored', () => ({ range: 'bytes=-' }), 200, [0, 999]],
  ['If-Range with the current ETag: range applies', () => ({ range: 'bytes=0-9', 'if-range': etag }), 206, [0, 9]],
  ['If-Range with another ETag: whole file', () => ({ range: 'bytes=0-9', 'if-range': '"other"' }), 200, [0, 999]],
  ['If-Range with a weak ETag never matches', () => ({ range: 'bytes=0-9', 'if-range': `W/${etag}` }), 200, [0, 999]],
  ['If-Range with Last-Modified: range applies', () => ({ range: 'bytes=0-9', 'if-range': lastModified }), 206, [0, 9]],
  ['If-Range with another date: whole file', () => ({ range: 'bytes=0-9', 'if-range': 'Thu, 01 Jan 2015 00:00:00 GMT' }), 200, [0, 999]],
  ['If-None-Match with the ETag: 304', () => ({ 'if-none-match': etag }), 304],
  ['If-None-Match weak comparison: 304', () => ({ 'if-none-match': `"x", W/${etag}` }), 304],
  ['If-None-Match *: 304', () => ({ 'if-none-match': '*' }), 304],
  ['If-None-Match another tag: 200', () => ({ 'if-none-match': '"x"' }), 200, [0, 999]],
  ['If-Modified-Since now: 304', () => ({ 'if-modified-since': new Date().toUTCString() }), 304],
  ['If-Modified-Since long ago: 200', () => ({ 'if-modified-since': 'Thu, 01 Jan 2015 00:00:00 GMT' }), 200, [0, 999]],
  ['If-None-Match wins over If-Modified-Since', () => ({ 'if-none-match': '"x"', 'if-modified-since': new Date().toUTCString() }), 200, [0, 999]],
  ['If-Match with another tag: 412', () => ({ 'if-match': '"x"' }), 412],
  ['If-Match *: 200', () => ({ 'if-match': '*' }), 200, [0, 999]],
  ['If-Match with the ETag and a range: 206', () => ({ 'if-match': etag, range: 'bytes=1-2' }), 206, [1, 2]],
  ['If-Unmodified-Since long ago: 412', () => ({ 'if-unmodified-since': 'Thu, 01 Jan 2015 00:00:00 GMT' }), 412],
];

describe('Range and conditional requests', () => {
  for (const [name, headers, status, slice] of rows) {
    test(name, async () => {
      const r = await get(srv.port, '/images/img/file.bin', headers());
      assert.equal(r.status, status);
      assert.equal(r.headers['accept-ranges'], 'bytes');
      assert.equal(r.headers.etag, etag);
      if (status === 416) {
        assert.equal(r.headers['content-range'], `bytes */${SIZE}`);
        assert.equal(r.body.length, 0);
      } else if (status === 304 || status === 412) {
        assert.equal(r.body.length, 0);
      } else {
        const [s, e] = slice!;
        assert.ok(r.body.equals(content.subarray(s, e + 1)), 'body bytes');
        assert.equal(r.headers['content-length'], String(e - s + 1));
        assert.equal(r.headers['content-range'], status === 206 ? `bytes ${s}-${e}/${SIZE}` : undefined);
      }
    });
  }

  test('an empty file: 200 with no body; any range is unsatisfiable', async () => {
    const whole = await get(srv.port, '/images/img/empty.bin');
    assert.equal(whole.status, 200);
    assert.equal(whole.headers['content-length'], '0');
    assert.equal((await get(srv.port, '/images/img/empty.bin', { range: 'bytes=0-' })).status, 416);
    assert.equal((await get(srv.port, '/images/img/empty.bin', { range: 'bytes=-1' })).status, 416);
  });

  test('the ETag changes when the file changes', async () => {
    const other = new ImageStore();
    try {
      other.add('f', Buffer.from('one'));
      const s = await startServer({ backend: new StaticBootBackend({}), imagesRoot: other.root });
      const a = (await get(s.port, '/images/f', {}, 'HEAD')).headers.etag;
      other.add('f', Buffer.from('two!'));
      const b = (await get(s.port, '/images/f', {}, 'HEAD')).headers.etag;
      await s.server.close();
      assert.notEqual(a, b);
    } finally {
      other.cleanup();
    }
  });
});
