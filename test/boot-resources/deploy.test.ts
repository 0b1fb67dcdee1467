/**
 * Deploying a custom image: `osystem=custom distro_series=<name>` (or `distro_series=custom/<name>`)
 * names an uploaded resource; the install plan then carries the image's URL on the rack, its sha256
 * and its type — ddgz: no storage steps, the disk to write; tgz: the layout as before. Names the
 * region has no image for are refused with MAAS's field error. Uploads go through the plain router
 * here (the body-buffering route, as in regions without the streaming hook). BMC: a test double.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { bindImagesDir } from '../../src/services/boot-resources/images-dir.ts';
import { buildInstallPlan } from '../../src/services/deploy/install-plan.ts';
import { machineReported } from '../../src/services/lifecycle/reported.ts';
import { startBmcDouble, type BmcDouble } from '../lifecycle/bmc-double.ts';
import { newMachine, startLifecycleRegion, type LifecycleRegion } from '../lifecycle/helpers.ts';
import { sha } from './helpers.ts';

describe('deploying a custom image (pglite)', () => {
  let r: LifecycleRegion;
  let dir: string;
  const bmcs: BmcDouble[] = [];
  const dd = gzipSync(randomBytes(20_000));
  const tgz = gzipSync(Buffer.from('root tarball'));
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'plinth-deploy-custom-'));
    r = await startLifecycleRegion('pglite');
    bindImagesDir(r.svc, join(dir, 'images'));
    for (const [name, filetype, data] of [['myimg', 'ddgz', dd], ['mytgz', 'tgz', tgz]] as const) {
      const res = await r.api('POST', 'boot-resources/', [{ name: 'name', value: name }, { name: 'architecture', value: 'amd64/generic' }, { name: 'filetype', value: filetype }, { name: 'content', value: data, filename: 'x' }]);
      assert.equal(res.status, 201, res.text);
    }
  });
  after(async () => { await r?.close(); await Promise.all(bmcs.map((b) => b.stop())); rmSync(dir, { recursive: true, force: true }); });

  async function readyMachine(hostname: string): Promise<string> {
    const b = await startBmcDouble(); bmcs.push(b);
    const sid = r.sid(await r.api('POST', 'machines/', newMachine(hostname, b.fields())));
    await r.runner.drain();
    await machineReported(r.svc, sid, { kind: 'commissioning_done' });
    await r.runner.drain();
    const disk = await r.api('POST', `nodes/${sid}/blockdevices/`, [['name', 'vda'], ['model', 'QEMU'], ['serial', `d-${hostname}`], ['size', String(8 * 1024 ** 3)], ['block_size', '512']]);
    assert.equal(disk.status, 200, disk.text);
    assert.equal((await r.api('POST', `machines/${sid}/?op=set_storage_layout`, [['storage_layout', 'flat']])).status, 200);
    return sid;
  }

  test('unknown images are refused with MAAS\'s text, listing what can be deployed', async () => {
    const sid = await readyMachine('custom-0');
    const series = await r.api('POST', `machines/${sid}/?op=deploy`, [['distro_series', 'nope']], r.userKey);
    assert.equal(series.status, 400);
    assert.deepEqual(series.json(), { distro_series: ["'nope' is not a valid distro_series.  It should be one of: '', 'custom/myimg', 'custom/mytgz', 'debian/bookworm'."] });
    const os = await r.api('POST', `machines/${sid}/?op=deploy`, [['osystem', 'windows'], ['distro_series', 'win2022']], r.userKey);
    assert.equal(os.status, 400);
    assert.deepEqual(os.json(), { osystem: ["'windows' is not a valid osystem.  It should be one of: '', 'custom', 'debian'."] });
    assert.equal((await r.status(sid)).status, 4, 'still Ready');
  });

  test('osystem=custom distro_series=<name>: a ddgz plan — the image URL, its sha256, the disk, no storage steps', async () => {
    const sid = await readyMachine('custom-1');
    const dep = await r.api('POST', `machines/${sid}/?op=deploy`, [['osystem', 'custom'], ['distro_series', 'myimg']], r.userKey);
    assert.equal(dep.status, 200, dep.text);
    assert.deepEqual([dep.json().osystem, dep.json().distro_series], ['custom', 'myimg']);
    await r.runner.drain();
    const plan = await buildInstallPlan(r.svc, sid, 'http://10.213.0.1:5248/');
    assert.deepEqual(plan.image, {
      osystem: 'custom', series: 'myimg', arch: 'amd64', format: 'ddgz', url: 'http://10.213.0.1:5248/images/custom/amd64/myimg/root-dd.gz', sha256: sha(dd),
    });
    assert.deepEqual([plan.storage, plan.mounts, plan.fstab, plan.boot_device], [[], [], [], '/dev/vda']);
  });

  test('distro_series=custom/<name> with a root tarball: a tgz plan with the layout\'s steps and the checksum', async () => {
    const sid = await readyMachine('custom-2');
    assert.equal((await r.api('POST', `machines/${sid}/?op=deploy`, [['distro_series', 'custom/mytgz']], r.userKey)).status, 200);
    await r.runner.drain();
    const plan = await buildInstallPlan(r.svc, sid, 'http://10.213.0.1:5248/');
    assert.equal(plan.image.format, 'tgz');
    assert.equal(plan.image.url, 'http://10.213.0.1:5248/images/custom/amd64/mytgz/root-tgz');
    assert.equal(plan.image.sha256, sha(tgz));
    assert.ok(plan.storage.some((s) => s.name.startsWith('partition')));
  });
});
