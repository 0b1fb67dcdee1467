/**
 * A rack syncs the region's images over real loopback: only complete (marked) files, verified, and
 * served by the rack's HTTP server; `import_boot_images` triggers a sync; files removed upstream go;
 * a corrupt upstream file is never published (the rack is degraded with the reason until it is
 * fixed); progress shows in `list_boot_images`; a rack sharing the region's directory copies nothing.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunningRack } from '../../src/app/rack.ts';
import { dropImage, has, MiB, putImage, rackGet, read, sha256, startImageRack, startImageRegion, testStore, until, type ImageRegion } from './helpers.ts';

const dir = mkdtempSync(join(tmpdir(), 'plinth-imgsync-'));
let r: ImageRegion;
let store: Awaited<ReturnType<typeof testStore>>;
let rack: RunningRack;
let rackImages: string;
const content: Record<string, Buffer> = {};

const K = 'ephemeral/amd64/bookworm/boot-kernel';
const I = 'ephemeral/amd64/bookworm/boot-initrd';
const S = 'ephemeral/amd64/bookworm/squashfs';
const T = 'debian/amd64/bookworm/root-tgz';
const BAD = 'ephemeral/amd64/trixie/boot-kernel';

const images = async (sid: string) => (await r.api('GET', `rackcontrollers/${sid}/?op=list_boot_images`)).json();
const rackd = async (sid: string) => (await r.api('GET', `rackcontrollers/${sid}/`)).json().service_set.find((s: any) => s.name === 'rackd');

before(async () => {
  store = await testStore();
  r = await startImageRegion(join(dir, 'region'), { databaseUrl: store.databaseUrl });
  content[K] = putImage(r.images, K, 300 * 1024);
  content[I] = putImage(r.images, I, 700 * 1024);
  content[S] = putImage(r.images, S, 3 * MiB);
  putImage(r.images, 'ephemeral/amd64/bookworm/unmarked', 1000, { noMarker: true });
  putImage(r.images, 'ephemeral/amd64/bookworm/half', 1000);
  putImage(r.images, 'ephemeral/amd64/bookworm/half.partial', 10, { noMarker: true });
  rack = await startImageRack(join(dir, 'rack'), r, 1);
  rackImages = rack.services.imagesRoot;
});

after(async () => {
  await rack?.close();
  await r?.close();
  await store?.drop();
  rmSync(dir, { recursive: true, force: true });
});

describe('image sync from the region', () => {
  let sid: string;

  it('syncs the complete images at connect, verified, and the rack serves them', async () => {
    await until(() => !!rack.link.systemId, 10_000, 'the rack to link');
    sid = rack.link.systemId!;
    await until(async () => (await images(sid)).status === 'synced', 15_000, 'synced');
    for (const p of [K, I, S]) {
      assert.ok(read(rackImages, p).equals(content[p]), `${p} copied`);
      assert.match(read(rackImages, `${p}.sha256`).toString(), new RegExp(`^${sha256(content[p])}  `));
      const got = await rackGet(rack, p);
      assert.equal(got.status, 200);
      assert.equal(sha256(got.body), sha256(content[p]), `${p} served by the rack`);
    }
    assert.equal(has(rackImages, 'ephemeral/amd64/bookworm/unmarked'), false, 'files without a marker are not synced');
    assert.equal(has(rackImages, 'ephemeral/amd64/bookworm/half'), false, 'files with a partial are not synced');
    const l = await images(sid);
    assert.deepEqual(l.images, [{ name: 'ephemeral/bookworm', architecture: 'amd64', subarches: ['generic'] }]);
    assert.equal(l.connected, true);
    assert.equal(l.sync.state, 'synced');
    assert.equal(l.sync.files_done, 3);
    assert.equal(l.sync.files_total, 3);
    assert.equal(l.sync.bytes_done, content[K].length + content[I].length + content[S].length);
    assert.equal(l.sync.digest, (await r.region.images.manifest.get(true)).digest);
    assert.deepEqual(await rackd(sid), { name: 'rackd', status: 'running', status_info: '' });
    assert.equal(rack.images.cache.stats.verified, 3);
  });

  it('import_boot_images makes the rack fetch new files and drop removed ones', async () => {
    content[T] = putImage(r.images, T, 512 * 1024);
    dropImage(r.images, I);
    assert.equal((await images(sid)).status, 'out-of-sync', 'behind the region until it syncs');
    const imp = await r.api('POST', 'rackcontrollers/?op=import_boot_images');
    assert.equal(imp.status, 202, imp.text);
    assert.match(imp.text, /started on 1 rack controller/);
    await until(() => has(rackImages, T) && !has(rackImages, I), 10_000, 'the new file in, the removed one out');
    await until(async () => (await images(sid)).status === 'synced', 10_000, 'synced again');
    assert.ok(read(rackImages, T).equals(content[T]));
    assert.equal(has(rackImages, `${I}.sha256`), false, 'its marker went too');
    assert.equal((await rackGet(rack, I)).status, 404);
    const names = (await images(sid)).images.map((i: any) => i.name).sort();
    assert.deepEqual(names, ['debian/bookworm', 'ephemeral/bookworm']);
  });

  it('never publishes a file that fails its checksum; the rack is degraded with the reason', async () => {
    const real = putImage(r.images, BAD, 200 * 1024, { markerOf: Buffer.from('something else') });
    const before = rack.images.cache.stats.mismatches;
    const imp = await r.api('POST', `rackcontrollers/${sid}/?op=import_boot_images`);
    assert.equal(imp.status, 202, imp.text);
    await until(async () => (await images(sid)).sync?.state === 'failed', 10_000, 'the sync to fail');
    assert.equal(rack.images.cache.stats.mismatches - before, 2, 'both attempts checked and refused');
    assert.equal(has(rackImages, BAD), false, 'not published');
    assert.equal(has(rackImages, `${BAD}.sha256`), false);
    assert.equal(has(rackImages, `${BAD}.partial`), false, 'the bad partial is deleted');
    assert.equal((await rackGet(rack, BAD)).status, 404);
    const l = await images(sid);
    assert.equal(l.status, 'out-of-sync');
    assert.match(l.sync.reason, /checksum mismatch/);
    const d = await rackd(sid);
    assert.equal(d.status, 'degraded');
    assert.match(d.status_info, /Boot image sync failed: .*boot-kernel: checksum mismatch/);
    assert.equal((await rackGet(rack, K)).status, 200, 'the good images are still served');

    // Fixed upstream: the next sync publishes it and the rack is healthy again.
    putImage(r.images, BAD, 0, { content: real });
    await r.api('POST', `rackcontrollers/${sid}/?op=import_boot_images`);
    await until(async () => (await images(sid)).status === 'synced', 10_000, 'synced after the fix');
    assert.ok(read(rackImages, BAD).equals(real));
    assert.deepEqual(await rackd(sid), { name: 'rackd', status: 'running', status_info: '' });
  });

  it('a region that publishes new images tells its racks without being asked', async () => {
    const extra = 'ephemeral/arm64/bookworm/boot-kernel';
    const data = putImage(r.images, extra, 100 * 1024);
    assert.equal(await r.region.images.poll(), true, 'the manifest changed');
    await until(() => has(rackImages, extra), 10_000, 'the pushed sync');
    assert.ok(read(rackImages, extra).equals(data));
    assert.equal(await r.region.images.poll(), false, 'nothing new');
  });

  it('a rack sharing the region\'s images directory copies and removes nothing', async () => {
    const before = readdirSync(r.images, { recursive: true }).sort();
    const shared = await startImageRack(join(dir, 'rack-shared'), r, 2, { imagesRoot: r.images });
    try {
      await until(() => !!shared.link.systemId, 10_000, 'the second rack to link');
      const sid2 = shared.link.systemId!;
      await until(async () => (await images(sid2)).sync?.state === 'synced', 10_000, 'the shared rack reporting');
      const l = await images(sid2);
      assert.equal(l.status, 'synced');
      assert.equal(l.sync.shared, true);
      assert.deepEqual(readdirSync(r.images, { recursive: true }).sort(), before, 'the directory is untouched (unmarked files too)');
      assert.equal(shared.images.cache.stats.received, 0);
      assert.equal((await rackGet(shared, K)).status, 200);
    } finally {
      await shared.close();
    }
  });

  it('import_boot_images on an unknown rack is 404', async () => {
    assert.equal((await r.api('POST', 'rackcontrollers/nosuch/?op=import_boot_images')).status, 404);
  });
});
