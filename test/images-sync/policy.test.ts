/**
 * The cache's pure parts and its disk bookkeeping without a region: which files a budget admits
 * (policy.ts), size flags, and what a sync does with what it finds on disk (complete data whose
 * marker write was cut short is checked and kept; a stale copy stops being served; a partial of
 * another version is not resumed; files the region does not name go).
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseSize, selectForBudget, type Candidate } from '../../src/edges/rack/images/policy.ts';
import { ImageCache } from '../../src/edges/rack/images/cache.ts';
import { isImagePath, type ImageManifest } from '../../src/edges/rack/images/protocol.ts';
import { putImage, sha256 } from './files.ts';

const dir = mkdtempSync(join(tmpdir(), 'plinth-imgpolicy-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const c = (path: string, size: number, o: Partial<Candidate> = {}): Candidate => ({ path, size, held: false, inUse: false, ...o });

describe('budget policy', () => {
  it('keeps everything when there is no budget or it fits', () => {
    const files = [c('a', 10), c('b', 10)];
    assert.deepEqual([...selectForBudget(files, Infinity).keep], ['a', 'b']);
    assert.deepEqual(selectForBudget(files, 20).heldBack, []);
  });

  it('admits by last-served time, then held, then manifest order; skips what does not fit', () => {
    const files = [c('a', 10, { lastServed: 1 }), c('b', 10, { lastServed: 3 }), c('c', 10, { lastServed: 2 }), c('d', 10, { held: true }), c('e', 10)];
    assert.deepEqual([...selectForBudget(files, 25).keep].sort(), ['b', 'c']);
    assert.deepEqual([...selectForBudget(files, 45).keep].sort(), ['a', 'b', 'c', 'd']);
    assert.deepEqual(selectForBudget(files, 45).heldBack, ['e']);
    const big = [c('huge', 100, { lastServed: 9 }), c('small', 5, { lastServed: 1 })];
    assert.deepEqual([...selectForBudget(big, 50).keep], ['small'], 'a file larger than the budget is skipped, smaller ones still fit');
  });

  it('always keeps files being served, even past the budget', () => {
    const files = [c('a', 10, { inUse: true, lastServed: 1 }), c('b', 10, { lastServed: 5 }), c('c', 10, { inUse: true })];
    assert.deepEqual([...selectForBudget(files, 15).keep].sort(), ['a', 'c']);
  });

  it('parses sizes', () => {
    assert.equal(parseSize('1024'), 1024);
    assert.equal(parseSize('500M'), 500 * 1024 ** 2);
    assert.equal(parseSize('1.5G'), 1.5 * 1024 ** 3);
    assert.equal(parseSize('2TiB'), 2 * 1024 ** 4);
    assert.throws(() => parseSize('lots'), /not a size/);
    assert.throws(() => parseSize('0'), /not a usable size/);
  });

  it('accepts only relative image paths', () => {
    for (const p of ['a/b', 'ephemeral/amd64/bookworm/boot-kernel']) assert.equal(isImagePath(p), true, p);
    for (const p of ['', '/a', 'a/', 'a/../b', './a', 'a\\b', 'a/b.sha256', 'a/b.partial', 'a\u0000b']) assert.equal(isImagePath(p), false, JSON.stringify(p));
  });
});

describe('what a sync finds on disk', () => {
  it('keeps verified data, unmarks stale copies, drops foreign partials and unlisted files', async () => {
    const root = join(dir, 'rack-images');
    const good = putImage(root, 'os/amd64/s/unmarked-but-good', 5000, { noMarker: true });
    putImage(root, 'os/amd64/s/stale', 100);
    putImage(root, 'os/amd64/s/gone', 100);
    writeFileSync(join(root, 'os/amd64/s/next.partial'), 'from another version');
    writeFileSync(join(dir, 'image-cache.json'), JSON.stringify({ lastServed: {}, partials: { 'os/amd64/s/next': 'f'.repeat(64) } }));
    const newer = Buffer.from('the region\'s newer stale');
    const manifest: ImageManifest = {
      digest: '0'.repeat(64), token: 'x', expires_in: 60,
      files: [
        { path: 'os/amd64/s/unmarked-but-good', size: good.length, sha256: sha256(good), mtime: 0 },
        { path: 'os/amd64/s/stale', size: newer.length, sha256: sha256(newer), mtime: 0 },
        { path: 'os/amd64/s/next', size: 10, sha256: 'e'.repeat(64), mtime: 0 },
      ],
    };
    const cache = new ImageCache({ root, attempts: 1, stallMs: 1000 }).start();
    try {
      // Nothing listens on port 9: downloads fail, which is all this test needs of the network.
      const r = await cache.sync(manifest, { url: (p) => `http://127.0.0.1:9/${p}`, headers: async () => ({}) });
      assert.equal(r.progress?.state, 'failed');
      assert.match(r.progress!.reason!, /2 file\(s\) failed/);
      assert.equal(r.progress!.files_done, 1);
      assert.match(readFileSync(join(root, 'os/amd64/s/unmarked-but-good.sha256'), 'utf8'), new RegExp(`^${sha256(good)}`), 'checked and marked, not fetched');
      assert.equal(existsSync(join(root, 'os/amd64/s/stale.sha256')), false, 'the stale copy is no longer served');
      assert.equal(existsSync(join(root, 'os/amd64/s/gone')), false, 'not in the manifest: removed');
      assert.equal(existsSync(join(root, 'os/amd64/s/gone.sha256')), false);
      assert.equal(existsSync(join(root, 'os/amd64/s/next.partial')), false, 'a partial of another version is dropped, not resumed');
      assert.equal(cache.stats.resumed, 0);
      assert.equal(cache.stats.received, 0);
    } finally {
      await cache.stop();
    }
  });
});
