/**
 * The packet cache (packet-cache.ts): small files are read once per block size and served to every
 * transfer from ready DATA packets; what cannot be cached (too large, netascii, a backend without a
 * cache key, a stream shorter than announced) streams as before. Reads are counted by wrapping the
 * real directory backend's open().
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { directoryBackend, type TftpBackend } from '../../src/edges/rack/tftp/backend.ts';
import { encodedPacket, encodeFile } from '../../src/edges/rack/tftp/packet-cache.ts';
import { decodePacket, Opcode } from '../../src/edges/rack/tftp/packet.ts';
import { TftpServer } from '../../src/edges/rack/tftp/server.ts';
import { tftpGet } from './client.ts';
import { pseudoRandom } from './helpers.ts';

test('encodeFile: block n is DATA n (mod 65536) with its slice; an exact multiple ends with an empty block', () => {
  for (const [size, bs] of [[0, 512], [511, 512], [512, 512], [1025, 512], [3 * 1468, 1468], [65536 * 8 + 3, 8]]) {
    const data = pseudoRandom(size, size + 1);
    const file = encodeFile(data, bs);
    assert.equal(file.blocks, Math.floor(size / bs) + 1);
    for (const n of [1, 2, file.blocks - 1, file.blocks].filter((k) => k >= 1 && k <= file.blocks)) {
      const d = decodePacket(encodedPacket(file, n));
      assert.ok(d.ok && d.packet.op === Opcode.DATA);
      assert.equal(d.packet.block, n & 0xffff);
      assert.ok(d.packet.data.equals(data.subarray((n - 1) * bs, Math.min(n * bs, size))), `size ${size}, block ${n}`);
    }
  }
});

describe('served from the packet cache', () => {
  const small = pseudoRandom(100_000, 3);
  const other = pseudoRandom(40_000, 4);
  const large = pseudoRandom(300_000, 5);
  const opens: Record<string, number> = {};
  let server: TftpServer;
  let dir = '';
  let port = 0;
  let short = false;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'plinth-tftp-cache-'));
    for (const [name, data] of Object.entries({ 'small.bin': small, 'other.bin': other, 'large.bin': large, 'text.txt': Buffer.from('a\nb\n') })) {
      await writeFile(join(dir, name), data);
    }
    const real = directoryBackend(dir);
    const counting: TftpBackend = {
      async resolve(path, remote) {
        const r = await real.resolve(path, remote);
        if (r === null || !('open' in r)) return r;
        return { ...r, open: () => { opens[path] = (opens[path] ?? 0) + 1; return short ? Readable.from([Buffer.alloc(10)]) : r.open(); } };
      },
    };
    server = new TftpServer({ backend: counting, fileCacheBytes: 250_000, fileCacheMaxFileBytes: 150_000 });
    port = (await server.listen({ address: '127.0.0.1', port: 0 })).port;
  });
  after(async () => { await server.close(); await rm(dir, { recursive: true, force: true }); });
  const get = (file: string, options: Array<[string, string]> = [], mode?: string) => tftpGet({ port, file, options, mode });

  test('30 concurrent first requests share one read; later ones read nothing', async () => {
    const results = await Promise.all(Array.from({ length: 30 }, () => get('small.bin', [['blksize', '1468']])));
    for (const r of results) assert.ok(r.data.equals(small));
    assert.equal(opens['small.bin'], 1);
    assert.ok((await get('small.bin', [['blksize', '1468'], ['windowsize', '8']])).data.equals(small));
    assert.equal(opens['small.bin'], 1);
  });

  test('another block size is another entry (one more read)', async () => {
    assert.ok((await get('small.bin')).data.equals(small));
    assert.ok((await get('small.bin')).data.equals(small));
    assert.equal(opens['small.bin'], 2);
  });

  test('a file above the per-file limit streams every time', async () => {
    assert.ok((await get('large.bin', [['blksize', '1468']])).data.equals(large));
    assert.ok((await get('large.bin', [['blksize', '1468']])).data.equals(large));
    assert.equal(opens['large.bin'], 2);
  });

  test('netascii is translated per transfer, not cached', async () => {
    assert.equal((await get('text.txt', [], 'netascii')).data.toString('latin1'), 'a\r\nb\r\n');
    assert.equal((await get('text.txt', [], 'netascii')).data.toString('latin1'), 'a\r\nb\r\n');
    assert.equal(opens['text.txt'], 2);
  });

  test('bounded: the least recently used entry is evicted and read again', async () => {
    // 250,000 octets hold small.bin at both block sizes (≈ 100 KB each) and other.bin at 512 …
    assert.ok((await get('other.bin')).data.equals(other));
    assert.ok((await get('small.bin')).data.equals(small)); // a hit, now the most recent
    assert.deepEqual([opens['other.bin'], opens['small.bin']], [1, 2]);
    // … but not other.bin at 1468 too: small.bin at 1468, least recently used, makes room.
    assert.ok((await get('other.bin', [['blksize', '1468']])).data.equals(other));
    assert.ok((await get('small.bin')).data.equals(small));
    assert.equal(opens['small.bin'], 2, 'small.bin at 512 was kept');
    assert.ok((await get('small.bin', [['blksize', '1468']])).data.equals(small));
    assert.equal(opens['small.bin'], 3, 'small.bin at 1468 was evicted and read again');
  });

  test('a changed file (new mtime) is read again and its new content served', async () => {
    const before = opens['other.bin'];
    const changed = pseudoRandom(other.length, 44);
    await writeFile(join(dir, 'other.bin'), changed);
    await utimes(join(dir, 'other.bin'), new Date(), new Date(Date.now() + 5000));
    assert.ok((await get('other.bin')).data.equals(changed));
    assert.equal(opens['other.bin'], before + 1);
  });

  test('a stream shorter than its announced size is served as read, and not kept', async () => {
    short = true;
    try {
      await writeFile(join(dir, 'tiny.bin'), Buffer.alloc(50));
      const first = await get('tiny.bin', [['tsize', '0']]);
      assert.equal(first.oack?.tsize, '50');
      assert.equal(first.data.length, 10);
      await get('tiny.bin', [['tsize', '0']]);
      assert.equal(opens['tiny.bin'], 2);
    } finally { short = false; }
  });
});
