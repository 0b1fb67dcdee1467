/**
 * The region's image manifest from its images directory as the image builder leaves it (a published
 * `<os>/<arch>/<series>` link to a build directory holding layout-named links and markers): only
 * marked files under the served layout, no builder internals, nothing outside the directory, and a
 * digest that follows the content.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { addLayoutLinks, publish, writeChecksumMarkers } from '../../src/edges/images/publish.ts';
import { RegionImageManifest } from '../../src/edges/rpc/images-manifest.ts';
import { imagesOf } from '../../src/edges/rack/images/cache.ts';
import { putImage, sha256 } from './files.ts';

const dir = mkdtempSync(join(tmpdir(), 'plinth-imgmanifest-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function build(root: string, name: string): Record<string, Buffer> {
  const b = join(root, 'builds', name);
  mkdirSync(b, { recursive: true });
  const out: Record<string, Buffer> = {};
  for (const f of ['vmlinuz', 'initrd', 'squashfs']) { out[f] = Buffer.from(`${name}:${f}`); writeFileSync(join(b, f), out[f]); }
  addLayoutLinks(b, 'ephemeral');
  writeChecksumMarkers(b, 'ephemeral', Object.entries(out).map(([n, d]) => ({ name: n, sha256: sha256(d) })));
  return out;
}

describe('region image manifest', () => {
  const root = join(dir, 'images');
  const m = new RegionImageManifest(root);

  it('is empty (not an error) without an images directory', async () => {
    assert.deepEqual((await m.get()).files, []);
  });

  it('lists the published layout files with their markers, not the builder\'s internals', async () => {
    const b1 = build(root, 'ephemeral-bookworm-amd64-k1');
    publish(root, 'ephemeral', 'amd64', 'bookworm', join(root, 'builds', 'ephemeral-bookworm-amd64-k1'));
    mkdirSync(join(root, 'logs'));
    putImage(root, 'logs/ephemeral.log', 10);
    putImage(root, '.hidden/x', 10);
    putImage(root, 'synced/ubuntu/amd64/noble/20250101/squashfs', 10);
    putImage(root, 'uploads/file-1', 10);
    putImage(root, 'debian/amd64/bookworm/unmarked', 10, { noMarker: true });
    putImage(root, 'debian/amd64/bookworm/downloading', 10);
    writeFileSync(join(root, 'debian/amd64/bookworm/downloading.partial'), '');
    const outside = join(dir, 'outside');
    putImage(outside, 'leak', 10);
    symlinkSync(join(outside, 'leak'), join(root, 'debian/amd64/bookworm/leak'));
    writeFileSync(join(root, 'debian/amd64/bookworm/leak.sha256'), `${'0'.repeat(64)}  leak\n`);
    symlinkSync(outside, join(root, 'debian/amd64/away'));
    symlinkSync(root, join(root, 'debian/loop'));
    const r = await m.get();
    assert.deepEqual(r.files.map((f) => f.path).sort(), ['ephemeral/amd64/bookworm/boot-initrd', 'ephemeral/amd64/bookworm/boot-kernel', 'ephemeral/amd64/bookworm/squashfs']);
    const k = r.files.find((f) => f.path.endsWith('boot-kernel'))!;
    assert.equal(k.sha256, sha256(b1.vmlinuz));
    assert.equal(k.size, b1.vmlinuz.length);
    assert.ok(r.root?.ino);
    assert.deepEqual(imagesOf(r.files.map((f) => f.path)), [{ name: 'ephemeral/bookworm', architecture: 'amd64', subarches: ['generic'] }]);
  });

  it('changes its digest when a new build is published, and only then', async () => {
    const before = (await m.get()).digest;
    assert.equal((await m.get()).digest, before, 'stable');
    const b2 = build(root, 'ephemeral-bookworm-amd64-k2');
    assert.equal((await m.get()).digest, before, 'an unpublished build is not served');
    publish(root, 'ephemeral', 'amd64', 'bookworm', join(root, 'builds', 'ephemeral-bookworm-amd64-k2'));
    const after = await m.get();
    assert.notEqual(after.digest, before);
    assert.equal(after.files.find((f) => f.path.endsWith('squashfs'))!.sha256, sha256(b2.squashfs));
  });
});
