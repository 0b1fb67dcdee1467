/**
 * Importing from a local simplestreams mirror (a tiny one written into a temporary directory):
 * resuming a partial file, stopping mid-copy and carrying on (the served version switches only when
 * the new one is complete), a checksum mismatch, the durable import job taken over after its owner
 * died, and `plinth images import` from the command line.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ServiceContext } from '../../src/services/context.ts';
import { bindImagesDir } from '../../src/services/boot-resources/images-dir.ts';
import { importMirror } from '../../src/services/boot-resources/mirror-import.ts';
import { isImporting, kickImport } from '../../src/services/boot-resources/import-job.ts';
import { getResource, listResources } from '../../src/services/boot-resources/queries.ts';
import { openPostgres } from '../../src/store/db.ts';
import { BACKENDS, createPgDatabase, openTestStore, type TestStore } from '../helpers/backends.ts';
import { quietLog } from '../helpers/region.ts';
import { sha, writeMirror } from './helpers.ts';

const MiB = 1024 * 1024;

describe('import from a local mirror (pglite)', () => {
  let store: TestStore;
  let svc: ServiceContext;
  let dir: string;
  let images: string;
  const v1 = randomBytes(3 * MiB);
  const v2 = randomBytes(3 * MiB + 17);
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'plinth-mirror-'));
    images = join(dir, 'images');
    store = await openTestStore('pglite');
    svc = { db: store.db, log: quietLog, now: () => new Date() };
    bindImagesDir(svc, images);
  });
  after(async () => { await store?.drop(); rmSync(dir, { recursive: true, force: true }); });

  test('a partial file continues where it stopped: only the rest is copied, then checked and published', async () => {
    const mirror = join(dir, 'm1');
    writeMirror(mirror, [
      { os: 'debian', release: 'bookworm', arch: 'amd64', version: '20240101', files: { 'root-tgz': v1 } },
      { os: 'ubuntu', release: 'noble', arch: 'amd64', version: '20240101', files: { squashfs: Buffer.from('filtered out') } },
    ]);
    const store1 = join(images, 'synced/debian/amd64/bookworm/20240101');
    mkdirSync(store1, { recursive: true });
    const done = Math.floor(1.5 * MiB);
    writeFileSync(join(store1, 'root-tgz.partial'), v1.subarray(0, done));
    const lines: string[] = [];
    const s = await importMirror(svc, `file://${mirror}`, { os: ['debian'] }, { say: (l) => lines.push(l) });
    assert.deepEqual({ products: s.products, copied: s.filesCopied, resumed: s.filesResumed, bytes: s.bytes, errors: s.errors }, { products: 1, copied: 1, resumed: 1, bytes: v1.length - done, errors: [] });
    assert.match(lines.join('\n'), /root-tgz 1\.5 MiB copied \(resumed at 1\.5 MiB\)/);
    assert.ok(readFileSync(join(images, 'debian/amd64/bookworm/root-tgz')).equals(v1));
    assert.ok(!existsSync(join(store1, 'root-tgz.partial')));
    const [r] = await listResources(svc, 'synced');
    assert.equal(`${r.name} ${r.architecture}`, 'debian/bookworm amd64/generic');
    assert.equal((await getResource(svc, r.id)).sets[0].files[0].complete, true);
    const again = await importMirror(svc, mirror, { os: ['debian'] });
    assert.equal(again.upToDate, 1);
    assert.equal(again.bytes, 0);
  });

  test('stopped mid-copy: the old version stays served, progress is recorded; the next run resumes and switches', async () => {
    const mirror = join(dir, 'm2');
    writeMirror(mirror, [{ os: 'debian', release: 'bookworm', arch: 'amd64', version: '20240201', files: { 'root-tgz': v2 } }]);
    let chunks = 0;
    const stopped = await importMirror(svc, mirror, {}, { shouldStop: () => ++chunks > 1, progressEveryMs: 0 });
    assert.equal(stopped.stopped, true);
    const partial = join(images, 'synced/debian/amd64/bookworm/20240201/root-tgz.partial');
    assert.equal(statSync(partial).size, MiB, 'one 1 MiB chunk was written');
    assert.ok(readFileSync(join(images, 'debian/amd64/bookworm/root-tgz')).equals(v1), 'the complete old version is still served');
    const [r] = await listResources(svc, 'synced');
    const view = await getResource(svc, r.id);
    assert.deepEqual(view.sets.map((x) => [x.set.version, x.files[0].complete, x.files[0].progress]), [['20240201', false, MiB], ['20240101', true, v1.length]]);
    const resumed = await importMirror(svc, mirror, {});
    assert.deepEqual({ resumed: resumed.filesResumed, bytes: resumed.bytes }, { resumed: 1, bytes: v2.length - MiB });
    assert.equal(readlinkSync(join(images, 'debian/amd64/bookworm')), '../../synced/debian/amd64/bookworm/20240201');
    assert.ok(readFileSync(join(images, 'debian/amd64/bookworm/root-tgz')).equals(v2));
    assert.ok(!existsSync(join(images, 'synced/debian/amd64/bookworm/20240101')), 'the old version is removed once the new one is served');
    assert.deepEqual((await getResource(svc, r.id)).sets.map((x) => x.set.version), ['20240201']);
  });

  test('a file whose sha256 does not match the products file: discarded, nothing published', async () => {
    const mirror = join(dir, 'm3');
    writeMirror(mirror, [{ os: 'custom', release: 'broken', arch: 'amd64', version: '1', files: { 'root-tgz': Buffer.from('good bytes') } }]);
    writeFileSync(join(mirror, 'custom/broken/amd64/1/generic/root-tgz'), 'evil bytes');
    const s = await importMirror(svc, mirror, { os: ['custom'] });
    assert.equal(s.errors.length, 1);
    assert.match(s.errors[0], /sha256 [0-9a-f]{64} does not match the mirror's products file/);
    assert.ok(!existsSync(join(images, 'custom/amd64/broken')));
    assert.ok(!existsSync(join(images, 'synced/custom/amd64/broken/1/root-tgz.partial')));
  });

  test('an http(s) mirror: ranged requests continue a partial file (and a server that ignores Range is skipped through)', async () => {
    const mirror = join(dir, 'm6');
    const data = randomBytes(2 * MiB + 5);
    writeMirror(mirror, [{ os: 'debian', release: 'sid', arch: 'amd64', version: '20240501', files: { 'root-tgz': data } }]);
    const ranges: string[] = [];
    let honourRange = true;
    const server = createServer((req, res) => {
      const file = join(mirror, decodeURIComponent(req.url!.slice(1)));
      if (!existsSync(file)) { res.writeHead(404).end(); return; }
      const body = readFileSync(file);
      const m = /^bytes=(\d+)-$/.exec(String(req.headers.range ?? ''));
      if (m) ranges.push(m[1]);
      if (m && honourRange) { res.writeHead(206, { 'Content-Range': `bytes ${m[1]}-${body.length - 1}/${body.length}` }).end(body.subarray(Number(m[1]))); return; }
      res.writeHead(200).end(body);
    });
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/`;
    try {
      const partial = join(images, 'synced/debian/amd64/sid/20240501/root-tgz.partial');
      for (const honour of [true, false]) {
        honourRange = honour;
        rmSync(join(images, 'synced/debian/amd64/sid'), { recursive: true, force: true });
        rmSync(join(images, 'debian/amd64/sid'), { force: true });
        mkdirSync(join(partial, '..'), { recursive: true });
        writeFileSync(partial, data.subarray(0, MiB));
        await svc.db.query("delete from boot_resources where name = 'debian/sid'");
        const s = await importMirror(svc, url, { release: ['sid'] });
        assert.deepEqual({ resumed: s.filesResumed, bytes: s.bytes, errors: s.errors }, { resumed: 1, bytes: data.length - MiB, errors: [] }, `Range honoured: ${honour}`);
        assert.ok(readFileSync(join(images, 'debian/amd64/sid/root-tgz')).equals(data));
      }
      assert.deepEqual(ranges, [String(MiB), String(MiB)]);
    } finally {
      await new Promise((ok) => server.close(ok));
    }
  });

  test('the import job outlives its region: a running job whose owner stopped renewing its lease is taken over', async () => {
    const mirror = join(dir, 'm4');
    writeMirror(mirror, [{ os: 'ephemeral', release: 'bookworm', arch: 'amd64', version: '20240301', files: { 'boot-kernel': Buffer.from('k'), 'boot-initrd': Buffer.from('i'), squashfs: randomBytes(4096) } }]);
    await svc.db.query('insert into boot_sources (url) values ($1)', [mirror]);
    // What a region that died mid-import leaves: running, its owner's lease not renewed for two minutes.
    await svc.db.query("update boot_import set state = 'running', owner = 'dead-region:1:x', heartbeat = now() - interval '2 minutes', started = now() where id = 1");
    assert.equal(await isImporting(svc), true);
    await kickImport(svc);
    assert.equal(await isImporting(svc), false);
    const [job] = await svc.db.query<{ message: string; owner: string | null }>('select message, owner from boot_import');
    assert.equal(job.owner, null);
    assert.match(job.message, /1 products.*4 files copied|ephemeral|products/);
    assert.ok(existsSync(join(images, 'ephemeral/amd64/bookworm/squashfs.sha256')));
    // A live owner's lease is respected.
    await svc.db.query("update boot_import set state = 'running', owner = 'other-region:2:y', heartbeat = now() where id = 1");
    await kickImport(svc);
    assert.equal(await isImporting(svc), true, 'left to its owner');
    await svc.db.query("update boot_import set state = 'idle', owner = null where id = 1");
  });

  test('plinth images import --mirror DIR: copies, records, reports', async () => {
    const mirror = join(dir, 'm5');
    const data = join(dir, 'cli-data');
    const tgz = randomBytes(100_000);
    writeMirror(mirror, [{ os: 'debian', release: 'trixie', arch: 'amd64', version: '20240401', files: { 'root-tgz': tgz } }]);
    const plinth = new URL('../../bin/plinth', import.meta.url).pathname;
    // PostgreSQL when the suite has it (a fresh database is quicker to set up than an embedded store).
    const pg = BACKENDS.includes('postgres') ? await createPgDatabase() : null;
    try {
      const env = { ...process.env, DATABASE_URL: pg?.url ?? '' };
      const r = spawnSync(plinth, ['images', 'import', '--mirror', mirror, '--data-dir', data, '--release', 'trixie'], { encoding: 'utf8', timeout: 120_000, env });
      let rows: unknown[] | null = null;
      if (pg) {
        const db = await openPostgres(pg.url, 1);
        rows = await db.query('select r.rtype, r.name, f.complete from boot_resources r join boot_resource_sets s on s.resource_id = r.id join boot_resource_files f on f.set_id = s.id')
          .finally(() => db.close());
      }
      assert.equal(r.status, 0, r.stderr + r.stdout);
      if (rows) assert.deepEqual(rows, [{ rtype: 'Synced', name: 'debian/trixie', complete: true }], 'recorded as a Synced resource');
      assert.match(r.stdout, /debian\/trixie amd64\/generic 20240401: root-tgz 0\.1 MiB copied/);
      assert.match(r.stdout, /1 products: 0 up to date, 1 files copied \(0 resumed\)/);
      const file = join(data, 'images/debian/amd64/trixie/root-tgz');
      assert.ok(readFileSync(file).equals(tgz));
      assert.equal(readFileSync(`${file}.sha256`, 'utf8'), `${sha(tgz)}  root-tgz\n`);
      const bad = spawnSync(plinth, ['images', 'import', '--mirror', join(dir, 'nowhere'), '--data-dir', data], { encoding: 'utf8', timeout: 120_000, env });
      assert.equal(bad.status, 1);
      assert.match(bad.stderr, /^plinth images import: The mirror .* is not a directory on this host\./);
    } finally {
      await pg?.drop();
    }
  });
});
