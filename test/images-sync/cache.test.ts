/**
 * The rack's image cache against a real region, with files of a few MiB:
 *
 * - Interrupted downloads resume from the partial file: when the region becomes unreachable
 *   mid-file (a relay between rack and region drops every connection) the rack keeps its `.partial`,
 *   and once the link is back it asks only for the rest (a range request), then verifies the whole
 *   file; the same after a rack restart mid-file. The transfer is throttled (by the relay, or on
 *   the rack) so that "mid-file" can be caught.
 * - A budget (`--image-cache-max`) smaller than the region's images: the rack holds what fits, and
 *   evicts the least recently served files first when a file it does not hold is asked for (a miss
 *   counts as the most recent use, and triggers a sync); a file being served is never evicted.
 *   Budget 2.5 MiB, three 1 MiB files (the 6 MiB one never fits).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunningRack } from '../../src/app/rack.ts';
import { RegionLink } from '../../src/edges/rack/link/client.ts';
import { ImageCache, type ImageCacheOptions } from '../../src/edges/rack/images/cache.ts';
import { ImageSyncer } from '../../src/edges/rack/images/syncer.ts';
import {
  has, MiB, putImage, rackGet, rackIfaces, read, startImageRack, startImageRegion, startRelay, testStore, until, type ImageRegion,
} from './helpers.ts';

const dir = mkdtempSync(join(tmpdir(), 'plinth-imgcache-'));
const BIG = 'ephemeral/amd64/bookworm/squashfs';
const SIZE = 6 * MiB;
const A = 'ephemeral/amd64/bookworm/a';
const B = 'ephemeral/amd64/bookworm/b';
const C = 'ephemeral/amd64/bookworm/c';
const BUDGET = 2.5 * MiB;
let r: ImageRegion;
let store: Awaited<ReturnType<typeof testStore>>;
let data: Buffer;
const cleanups: Array<() => Promise<unknown>> = [];

interface Rack { link: RegionLink; cache: ImageCache; syncer: ImageSyncer; stop(): Promise<void> }

function startRack(url: string, rackDir: string, n: number, cacheOpts: Partial<ImageCacheOptions>): Rack {
  const link = new RegionLink({
    url, secret: r.secret, hostname: `rack-resume-${n}`, version: 'test', interfaces: () => rackIfaces(n + 5), dataDir: rackDir,
    heartbeatMs: 200, deadMs: 1500, callTimeoutMs: 3000, backoff: { initialMs: 100, maxMs: 400 },
  });
  const cache = new ImageCache({ root: join(rackDir, 'images'), stateFile: join(rackDir, 'image-cache.json'), attempts: 2, retryDelayMs: 50, stallMs: 3000, progressIntervalMs: 100, ...cacheOpts }).start();
  const syncer = new ImageSyncer({ link, cache, regionUrl: url }).start();
  link.start();
  const stop = async () => { const s = syncer.stop(); await cache.stop(); await s; await link.stop(); };
  cleanups.push(stop);
  return { link, cache, syncer, stop };
}

const partialSize = (rackDir: string) => { try { return statSync(join(rackDir, 'images', `${BIG}.partial`)).size; } catch { return 0; } };

before(async () => {
  store = await testStore();
  r = await startImageRegion(join(dir, 'region'), { databaseUrl: store.databaseUrl });
  for (const p of [A, B, C]) putImage(r.images, p, MiB);
  data = putImage(r.images, BIG, SIZE);
});

after(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
  await r?.close();
  await store?.drop();
  rmSync(dir, { recursive: true, force: true });
});

describe('resuming image downloads', () => {
  it('resumes from the partial after the region was unreachable mid-file', async () => {
    const relay = await startRelay(r.port, { bytesPerSecond: 2 * MiB });
    cleanups.push(() => relay.close());
    const rackDir = join(dir, 'rack-a');
    const rack = startRack(`http://127.0.0.1:${relay.port}/MAAS/`, rackDir, 1, {});
    await until(() => partialSize(rackDir) >= 0.5 * MiB, 15_000, 'the download to be under way');
    await relay.cut();
    await until(() => rack.cache.last?.state === 'failed', 10_000, 'the sync to give up while the region is unreachable');
    const kept = partialSize(rackDir);
    assert.ok(kept >= 0.5 * MiB && kept < SIZE, `the partial is kept (${kept} bytes)`);
    assert.equal(has(join(rackDir, 'images'), BIG), false, 'nothing published yet');
    const before = rack.cache.stats.received;

    relay.bytesPerSecond = 0;
    await relay.restore();
    await until(() => has(join(rackDir, 'images'), `${BIG}.sha256`), 15_000, 'the file after the link came back');
    const again = rack.cache.stats.received - before;
    assert.equal(again, SIZE - kept, 'only the missing bytes were fetched');
    assert.ok(again < SIZE);
    assert.ok(rack.cache.stats.resumed >= 1);
    assert.ok(read(join(rackDir, 'images'), BIG).equals(data), 'the whole file verifies');
    assert.equal(partialSize(rackDir), 0);
    await until(async () => (await r.api('GET', `rackcontrollers/${rack.link.systemId}/?op=list_boot_images`)).json().status === 'synced', 5000, 'synced on the region');
    console.log(`# resumed at ${kept} of ${SIZE} bytes; fetched ${again} after the outage`);
    await rack.stop();
  });

  it('resumes from the partial after a rack restart mid-file', async () => {
    const rackDir = join(dir, 'rack-b');
    const first = startRack(r.region.url, rackDir, 2, { maxBytesPerSecond: 4 * MiB });
    await until(() => partialSize(rackDir) >= 1 * MiB, 10_000, 'the download to be under way');
    await first.stop();
    const kept = partialSize(rackDir);
    assert.ok(kept > 0 && kept < SIZE, `partial kept over the restart (${kept} bytes)`);

    const second = startRack(r.region.url, rackDir, 2, {});
    await until(() => has(join(rackDir, 'images'), `${BIG}.sha256`), 10_000, 'the file after the restart');
    assert.equal(second.cache.stats.received, SIZE - kept, 'the restarted rack fetched only the rest');
    assert.equal(second.cache.stats.resumed, 1);
    assert.ok(read(join(rackDir, 'images'), BIG).equals(data));
    await second.stop();
  });
});

describe('image cache budget', () => {
  let rack: RunningRack;
  let root: string;
  let syncs = 0;
  const held = () => [A, B, C].filter((p) => has(root, `${p}.sha256`)).map((p) => p.slice(-1)).join('');
  /** Asks for a sync through the API and waits for the rack to finish it. */
  async function importImages(): Promise<void> {
    const before = syncs;
    const res = await r.api('POST', 'rackcontrollers/?op=import_boot_images');
    assert.equal(res.status, 202, res.text);
    await until(() => syncs > before, 10_000, 'the sync');
  }

  before(async () => {
    rack = await startImageRack(join(dir, 'rack-lru'), r, 3, { imageCacheMax: BUDGET });
    cleanups.push(() => rack.close());
    root = rack.services.imagesRoot;
    rack.images.syncer.on('done', () => { syncs++; });
  });

  it('holds what fits, in manifest order while nothing was served', async () => {
    await until(() => rack.images.cache.last?.state === 'synced', 10_000, 'the first sync');
    assert.equal(held(), 'ab');
    const l = (await r.api('GET', `rackcontrollers/${rack.link.systemId}/?op=list_boot_images`)).json();
    assert.equal(l.sync.held_back, 2, 'c, and the 6 MiB file that never fits');
    assert.equal(l.sync.files_total, 2);
  });

  it('a miss brings the file in and evicts the least recently served', async () => {
    assert.equal((await rackGet(rack, B)).status, 200);
    assert.equal((await rackGet(rack, C)).status, 404, 'not held yet');
    await until(() => held() === 'bc', 10_000, 'c in, a out');
    assert.equal(rack.images.cache.stats.evicted, 1);
    assert.equal((await rackGet(rack, C)).status, 200);
  });

  it('evicts by last-served time, oldest first', async () => {
    // b was served before c; a is asked for now: b goes, not c.
    await new Promise((res) => setTimeout(res, 5));
    assert.equal((await rackGet(rack, A)).status, 404);
    await importImages();
    assert.equal(held(), 'ac', 'a in, b out');
    assert.equal(rack.images.cache.stats.evicted, 2);
  });

  it('never evicts a file being served', async () => {
    // c's download starts (the HTTP server opens it: the hook files.ts calls), then a is served and
    // b asked for: by time alone c is the oldest, but while it is being served it stays and a goes.
    rack.images.cache.opened(C);
    try {
      await new Promise((res) => setTimeout(res, 5));
      assert.equal((await rackGet(rack, A)).status, 200);
      assert.equal((await rackGet(rack, B)).status, 404);
      await importImages();
      assert.equal(held(), 'bc', 'b in, a out, c kept');
    } finally {
      rack.images.cache.closed(C);
    }
    assert.equal((await rackGet(rack, C)).status, 200);
    // Once c is no longer served, time decides again: c (served before a and b) is the one to go.
    await new Promise((res) => setTimeout(res, 5));
    assert.equal((await rackGet(rack, B)).status, 200);
    assert.equal((await rackGet(rack, A)).status, 404);
    await importImages();
    assert.equal(held(), 'ab');
  });
});
