/**
 * The declarative storage endpoint (`nodes/{system_id}/storage/`) on both stores: PUT of the same
 * document twice is a no-op, a failing document changes nothing, dry runs store nothing; and a
 * property test: random invalid storage requests always get a 4xx with a message, never a 5xx, and
 * never change what is stored. Seeded: PLINTH_STORAGE_SEED reproduces a run.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseApiKey, signRequest } from '../../src/edges/maas/wire/oauth.ts';
import { BACKENDS } from '../helpers/backends.ts';
import { startTestRegion, type TestRegion } from '../helpers/region.ts';

const SEED = Number(process.env.PLINTH_STORAGE_SEED ?? Date.now() % 1e9);
const N = Number(process.env.PLINTH_STORAGE_N ?? 150);
const GiB = 1024 ** 3;

type Json = any;

async function machine(r: TestRegion, hostname: string, mac: string, firmware: 'bios' | 'uefi', status: number): Promise<string> {
  const sid = (await r.api('POST', 'machines/', [['architecture', 'amd64/generic'], ['mac_addresses', mac], ['hostname', hostname]])).json().system_id as string;
  for (const [name, size] of [['sda', '64G'], ['sdb', '16G']]) {
    const d = await r.api('POST', `nodes/${sid}/blockdevices/`, [['name', name], ['size', size], ['block_size', '512'], ['model', 'QEMU HARDDISK'], ['serial', `${hostname}-${name}`]]);
    assert.equal(d.status, 200, d.text);
  }
  await r.svc.db.query('update nodes set status = $2, bios_boot_method = $3 where system_id = $1', [sid, status, firmware === 'uefi' ? 'uefi' : 'pxe']);
  return sid;
}

/** One digest of every stored row the storage API could touch. */
async function fingerprint(r: TestRegion): Promise<string> {
  const rows = await r.svc.db.query<{ h: string }>(`select md5(
      (select coalesce(string_agg(x::text, '|' order by x.id), '') from nodes x) ||
      (select coalesce(string_agg(x::text, '|' order by x.id), '') from block_devices x) ||
      (select coalesce(string_agg(x::text, '|' order by x.node_id), '') from storage_trees x)) as h`);
  return rows[0].h;
}

/** A UEFI layout with a RAID-1 across both disks carrying LVM, and a tmpfs. */
const DOC = {
  disks: [
    { disk: 'sda', ptable: 'gpt', partitions: [
      { size: '512M', filesystem: { fstype: 'fat32', label: 'efi', mount_point: '/boot/efi' } },
      { size: '1G', filesystem: { fstype: 'ext4', label: 'boot', mount_point: '/boot' } },
      { size: '14G' },
      { filesystem: { fstype: 'xfs', mount_point: '/srv' } },
    ] },
    { disk: 'sdb', ptable: 'gpt', partitions: [{ size: '14G' }] },
  ],
  raids: [{ name: 'md0', level: 'raid-1', devices: ['sda-part3', 'sdb-part1'] }],
  volume_groups: [{ name: 'vg0', devices: ['md0'], logical_volumes: [
    { name: 'root', size: '10G', filesystem: { fstype: 'ext4', label: 'root', mount_point: '/' } },
    { name: 'swap', filesystem: { fstype: 'swap' } },
  ] }],
  special_filesystems: [{ fstype: 'tmpfs', mount_point: '/tmp', mount_options: 'size=2G' }],
};

function prng(seed: number) {
  let s = seed >>> 0 || 1;
  const next = () => { s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0; return s / 2 ** 32; };
  const int = (n: number) => Math.floor(next() * n);
  return { int, pick: <T>(xs: readonly T[]): T => xs[int(xs.length)] };
}

/** Ways to make the document wrong; each returns a broken deep copy. */
const BREAK_DOC: Array<(d: Json) => unknown> = [
  (d) => { d.disks[0].disk = 'sdz'; return d; },
  (d) => { d.disks[0].partitions[2].size = '999T'; return d; },
  (d) => { d.disks[0].partitions[1].size = 'lots'; return d; },
  (d) => { d.disks[0].partitions[1].size = -5; return d; },
  (d) => { d.disks[0].partitions[1].filesystem.fstype = 'zfs'; return d; },
  (d) => { d.disks[0].partitions[1].filesystem.mount_point = 'boot'; return d; },
  (d) => { d.disks[0].partitions[3].filesystem.mount_point = '/'; return d; },
  (d) => { d.disks[0].partitions[1].filesystem.label = 'a-label-that-is-far-too-long'; return d; },
  (d) => { d.disks[0].ptable = 'dos'; return d; },
  (d) => { d.disks[0].filesystem = { fstype: 'ext4' }; return d; },
  (d) => { d.disks[1].disk = 'sda'; return d; },
  (d) => { d.raids[0].level = 'raid-7'; return d; },
  (d) => { d.raids[0].devices = ['sda-part3']; return d; },
  (d) => { d.raids[0].devices = ['sda-part9', 'sdb-part1']; return d; },
  (d) => { d.volume_groups[0].devices = ['md9']; return d; },
  (d) => { d.volume_groups[0].logical_volumes[0].size = '900G'; return d; },
  (d) => { d.volume_groups[0].logical_volumes[0].name = '-root'; return d; },
  (d) => { d.volume_groups[0].logical_volumes.reverse(); return d; },
  (d) => { d.special_filesystems[0].fstype = 'ext4'; return d; },
  (d) => { d.boot_disk = 'nvme9'; return d; },
  (d) => { d.colour = 'blue'; return d; },
  (d) => { d.disks[0].partitions[0].filesystem.mount_point = '/boot/efi/../x'; return d; },
  (d) => { d.disks[0].partitions.splice(0, 1); return d; }, // UEFI without an ESP: not deployable
  () => [1, 2, 3],
  () => 'flat',
  () => null,
];

for (const kind of BACKENDS) {
  describe(`storage document (${kind})`, () => {
    let r: TestRegion;
    let sid: string;
    let deployed: string;
    let n = 0;
    before(async () => {
      r = await startTestRegion(kind);
      sid = await machine(r, 'doc-1', '52:54:00:6d:00:01', 'uefi', 4);
      deployed = await machine(r, 'doc-2', '52:54:00:6d:00:02', 'bios', 6);
    });
    after(async () => { await r.close(); });

    const put = (doc: unknown, extra: Array<[string, string]> = [], machineId = sid) =>
      r.api('PUT', `nodes/${machineId}/storage/`, [['document', typeof doc === 'string' ? doc : JSON.stringify(doc)], ...extra]);
    const version = async (id = sid) => (await r.svc.db.query<{ version: number }>('select version from nodes where system_id = $1', [id]))[0].version;

    test('PUT is idempotent: the same document twice changes nothing the second time', async () => {
      const first = await put(DOC);
      assert.equal(first.status, 200, first.text);
      assert.equal(first.json().changed, true);
      const v1 = await version();
      const m1 = (await r.api('GET', `machines/${sid}/`)).json();
      const second = await put(DOC);
      assert.equal(second.status, 200, second.text);
      assert.equal(second.json().changed, false);
      assert.equal(await version(), v1, 'no write, so the machine version did not move');
      assert.deepEqual((await r.api('GET', `machines/${sid}/`)).json().blockdevice_set, m1.blockdevice_set, 'same ids and UUIDs');
      // What GET shows is a document that reproduces the layout exactly.
      const shown = (await r.api('GET', `nodes/${sid}/storage/`)).json();
      const third = await put(shown);
      assert.deepEqual([third.status, third.json().changed, await version()], [200, false, v1]);
      const md0 = m1.blockdevice_set.find((b: Json) => b.name === 'md0');
      const root = m1.blockdevice_set.find((b: Json) => b.name === 'vg0-root');
      assert.deepEqual([md0.used_for, root.filesystem.mount_point, root.size], ['lvm-pv for volume group vg0', '/', 10 * GiB]);
      assert.deepEqual(m1.special_filesystems.map((f: Json) => f.mount_point), ['/tmp']);
      assert.equal(m1.raids.length, 1);
      const [raid] = (await r.api('GET', `nodes/${sid}/raids/`)).json();
      assert.deepEqual(raid.devices.map((d: Json) => d.path), ['/dev/disk/by-dname/sda-part3', '/dev/disk/by-dname/sdb-part1']);
      // The plan the installer would run comes from the same tree.
      const plan = (await r.api('GET', `nodes/${sid}/storage/?op=plan`)).json();
      assert.equal(plan.deployable, true);
      assert.ok(plan.plan.operations.some((o: Json) => o.op === 'md-create' && o.name === 'md0'));
      assert.ok(plan.curtin.storage.config.some((c: Json) => c.type === 'lvm_volgroup' && c.name === 'vg0'));
    });

    test('a changed document keeps the ids of what stays; dry runs store nothing', async () => {
      await put(DOC);
      const before = (await r.api('GET', `machines/${sid}/`)).json();
      const changedDoc = structuredClone(DOC) as Json;
      changedDoc.volume_groups[0].logical_volumes[1] = { name: 'home', size: '2G', filesystem: { fstype: 'ext4', mount_point: '/home' } };
      const fp = await fingerprint(r);
      const dry = await put(changedDoc, [['dry_run', 'true']]);
      assert.equal(dry.status, 200, dry.text);
      assert.deepEqual([dry.json().dry_run, dry.json().changed], [true, true]);
      assert.ok(dry.json().tree.block_devices.some((d: Json) => d.name === 'home'), 'the resulting tree');
      assert.equal(await fingerprint(r), fp, 'a dry run stores nothing');
      const real = await put(changedDoc);
      assert.equal(real.json().changed, true, real.text);
      const after = (await r.api('GET', `machines/${sid}/`)).json();
      const ids = (m: Json) => Object.fromEntries(m.blockdevice_set.map((b: Json) => [b.name, b.id]));
      assert.equal(ids(after)['vg0-root'], ids(before)['vg0-root'], 'the root LV kept its id');
      assert.equal(ids(after).md0, ids(before).md0);
      assert.equal(ids(after)['vg0-swap'], undefined);
      assert.ok(ids(after)['vg0-home'] > 0);
      assert.equal(after.blockdevice_set.find((b: Json) => b.name === 'vg0-root').filesystem.uuid, before.blockdevice_set.find((b: Json) => b.name === 'vg0-root').filesystem.uuid);
    });

    test('a failing document changes nothing and names every error', async () => {
      await put(DOC);
      const fp = await fingerprint(r);
      const bad = structuredClone(DOC) as Json;
      bad.disks[0].partitions[2].size = '999T';
      bad.volume_groups[0].logical_volumes[0].filesystem.fstype = 'zfs';
      const res = await put(bad);
      assert.equal(res.status, 400);
      const errors = res.json();
      assert.match(errors['volume_groups[0].logical_volumes[0].filesystem.fstype'][0], /must be one of/);
      assert.equal(await fingerprint(r), fp);
      const notJson = await put('{"disks": [');
      assert.equal(notJson.status, 400);
      assert.match(notJson.json().document[0], /not valid JSON/);
      const wrongState = await put(DOC, [], deployed);
      assert.equal(wrongState.status, 409);
      assert.equal(await fingerprint(r), fp);
    });

    test('the document as a JSON request body', async () => {
      const url = `${r.base}nodes/${sid}/storage/?dry_run=true`;
      const k = parseApiKey(r.adminKey)!;
      const res = await fetch(url, {
        method: 'PUT', body: JSON.stringify(DOC),
        headers: { 'Content-Type': 'application/json', Authorization: signRequest({ method: 'PUT', url, consumerKey: k.consumerKey, token: k.tokenKey, tokenSecret: k.tokenSecret }) },
      });
      assert.equal(res.status, 200);
      const body = await res.json() as Json;
      assert.deepEqual([body.dry_run, body.changed], [true, false]);
    });

    test(`property: random invalid requests get 4xx with a message and change nothing (seed ${SEED}, ${N} requests)`, async () => {
      assert.equal((await put(DOC)).status, 200);
      const rnd = prng(SEED + (kind === 'postgres' ? 1 : 0));
      const m = (await r.api('GET', `machines/${sid}/`)).json();
      const dev = (name: string) => m.blockdevice_set.find((b: Json) => b.name === name);
      const [sda, sdb, md0, root] = [dev('sda'), dev('sdb'), dev('md0'), dev('vg0-root')];
      const [esp, , pv, srv] = sda.partitions;
      const [vg] = (await r.api('GET', `nodes/${sid}/volume-groups/`)).json();
      const [raid] = (await r.api('GET', `nodes/${sid}/raids/`)).json();
      const deployedDisks = (await r.api('GET', `nodes/${deployed}/blockdevices/`)).json().map((d: Json) => String(d.id));
      assert.equal(deployedDisks.length, 2);
      const badSize = () => rnd.pick(['0', '-1', 'abc', '999T', '1', '1.5.5G', '', '12%', 'NaN']);
      const badMount = () => rnd.pick(['relative', '/a b', '/x/', '/../etc', 'none', '//x']);
      const badId = () => rnd.pick(['0', '999999', 'abc', '-1', '1e3', '%20']);
      type Req = [string, string, Array<[string, string]>, string?];
      const gens: Array<() => Req> = [
        () => ['POST', `nodes/${sid}/blockdevices/${sda.id}/partition/${srv.id}?op=format`, [['fstype', rnd.pick(['zfs', 'ntfs', 'EXT4', 'lvm-pv', 'tmpfs', ' '])]]],
        () => ['POST', `nodes/${sid}/blockdevices/${sda.id}/partition/${srv.id}?op=format`, [['fstype', 'ext4'], ['uuid', rnd.pick(['nope', '1234', 'ABCD-1234'])]]],
        () => ['POST', `nodes/${sid}/blockdevices/${sda.id}/partition/${srv.id}?op=mount`, [['mount_point', badMount()]]],
        () => ['POST', `nodes/${sid}/blockdevices/${sda.id}/partition/${pv.id}?op=${rnd.pick(['format', 'mount', 'unformat', 'unmount'])}`, [['fstype', 'ext4'], ['mount_point', '/x']]],
        () => ['DELETE', `nodes/${sid}/blockdevices/${sda.id}/partition/${rnd.pick([pv.id, esp.id + 100000])}`, []],
        () => ['POST', `nodes/${sid}/blockdevices/${sdb.id}/partitions/`, [['size', badSize()]]],
        () => ['POST', `nodes/${sid}/blockdevices/${root.id}/partitions/`, []],
        () => ['POST', `nodes/${sid}/blockdevices/${badId()}/?op=${rnd.pick(['format', 'unformat', 'mount', 'set_boot_disk', 'add_tag'])}`, [['fstype', 'ext4'], ['mount_point', '/q'], ['tag', 'x']]],
        () => ['POST', `nodes/${sid}/blockdevices/${md0.id}/?op=set_boot_disk`, []],
        () => ['POST', `nodes/${sid}/blockdevices/${rnd.pick([sda.id, md0.id])}/?op=format`, [['fstype', 'ext4']]],
        () => ['DELETE', `nodes/${sid}/blockdevices/${rnd.pick([sda.id, md0.id])}/`, []],
        // A physical disk may grow; shrinking it under its partitions may not.
        () => ['PUT', `nodes/${sid}/blockdevices/${rnd.pick([sda.id, root.id])}/`, [['size', rnd.pick(['0', '-1', 'abc', '1', '', '12%'])]]],
        () => ['PUT', `nodes/${sid}/blockdevices/${root.id}/`, [['block_size', '4096']]],
        () => ['POST', `nodes/${sid}/volume-groups/`, [['name', rnd.pick(['-bad', 'vg0', 'x y'])], ['block_devices', rnd.pick(['9999', 'sda', 'md0', 'nope'])]]],
        () => ['POST', `nodes/${sid}/volume-group/${rnd.pick([String(vg.id), badId()])}/?op=create_logical_volume`, [['name', rnd.pick(['root', 'x'])], ['size', rnd.pick(['999T', '-1', 'abc'])]]],
        () => ['PUT', `nodes/${sid}/volume-group/${vg.id}/`, [['remove_block_devices', String(md0.id)]]],
        () => ['POST', `nodes/${sid}/raids/`, [['level', rnd.pick(['raid-7', 'raid-1', 'mirror'])], ['partitions', rnd.pick([String(pv.id), String(srv.id), '99999'])]]],
        () => ['PUT', `nodes/${sid}/raid/${raid.id}/`, [[rnd.pick(['add_partitions', 'remove_partitions', 'add_spare_devices']), rnd.pick([String(esp.id), String(sda.id), 'zz'])]]],
        () => ['POST', `nodes/${sid}/bcaches/`, [['backing_partition', String(srv.id)], ...(rnd.int(2) ? [['cache_mode', 'fast'] as [string, string]] : [])]],
        () => ['POST', `nodes/${sid}/bcache-cache-sets/`, rnd.int(2) ? [] : [['cache_device', String(sda.id)], ['cache_partition', String(srv.id)]]],
        () => ['POST', `machines/${sid}/?op=set_storage_layout`, rnd.pick<Array<[string, string]>>([[['storage_layout', 'zfs']], [['storage_layout', 'flat'], ['boot_size', '1K']], [['storage_layout', 'lvm'], ['lv_size', '9999T']], [['storage_layout', 'flat'], ['root_device', 'sdz']]])],
        () => ['POST', `machines/${sid}/?op=mount_special`, [['fstype', rnd.pick(['ext4', 'tmpfs'])], ['mount_point', rnd.pick(['/tmp', 'tmp', '/a b'])]]],
        () => ['PUT', `nodes/${sid}/storage/`, [['document', JSON.stringify(rnd.pick(BREAK_DOC)(structuredClone(DOC)))], ...(rnd.int(2) ? [['dry_run', 'true'] as [string, string]] : [])]],
        () => ['PUT', `nodes/${sid}/storage/`, [['document', rnd.pick(['', '{', 'nope', '[]'])]]],
        () => ['POST', `nodes/${deployed}/blockdevices/${rnd.pick(deployedDisks)}/?op=format`, [['fstype', 'ext4']]],
        () => ['PUT', `nodes/${deployed}/storage/`, [['document', JSON.stringify({ disks: [] })], ['deployable', 'false']]],
        () => ['POST', `nodes/${sid}/blockdevices/${sdb.id}/partitions/`, [['size', '1G']], r.userKey],
        () => ['POST', `nodes/${sid}/blockdevices/`, [['name', rnd.pick(['sda', 'bad name', 'x'])], ['size', rnd.pick(['1G', '0', 'abc'])], ['block_size', rnd.pick(['512', '513', 'x'])]]],
        () => ['GET', `nodes/${rnd.pick(['nope', 'xxxxxx'])}/${rnd.pick(['blockdevices/', 'volume-groups/', 'storage/', 'raids/'])}`, []],
      ];
      for (let i = 0; i < N; i += 1) {
        const [method, path, fields, key] = rnd.pick(gens)();
        const fp = await fingerprint(r);
        const res = await r.api(method, path, fields, key);
        const what = `#${i} ${method} ${path} ${JSON.stringify(fields).slice(0, 300)} → ${res.status} ${res.text.slice(0, 300)}`;
        assert.ok(res.status >= 400 && res.status < 500, what);
        assert.ok(res.text.trim().length > 0, `a message: ${what}`);
        assert.equal(await fingerprint(r), fp, `nothing stored changed: ${what}`);
        n += 1;
      }
      assert.equal(n, N);
    });
  });
}
