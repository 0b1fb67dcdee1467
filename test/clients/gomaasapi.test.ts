/**
 * juju's gomaasapi against Plinth: the Debian package's sources, built offline in GOPATH mode, drive
 * NewController (version/capabilities, whoami), Machines with its strict schema, filters, owner data,
 * Zones, Pools and Tags. Skipped only when Go or the package is not installed (.ci/run installs them).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, mkdirSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { startTestRegion, type TestRegion } from '../helpers/region.ts';

const run = promisify(execFile);
const here = dirname(fileURLToPath(import.meta.url));
const GOCODE = '/usr/share/gocode';
const available = existsSync('/usr/bin/go') && existsSync(`${GOCODE}/src/github.com/juju/gomaasapi`);

describe('gomaasapi (juju)', { skip: available ? false : 'golang-go / golang-github-juju-gomaasapi-dev not installed' }, () => {
  let r: TestRegion;
  let work: string;
  let probe: string;
  const go = async (...args: string[]) => JSON.parse((await run(probe, args, { timeout: 60_000 })).stdout);

  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'plinth-gomaasapi-'));
    const src = join(work, 'src', 'plinthprobe');
    mkdirSync(src, { recursive: true });
    copyFileSync(join(here, 'gomaasapi', 'main.go'), join(src, 'main.go'));
    probe = join(work, 'probe');
    await run('go', ['build', '-o', probe, 'plinthprobe'], {
      cwd: src, timeout: 300_000,
      env: { ...process.env, GOPATH: `${work}:${GOCODE}`, GO111MODULE: 'off', GOFLAGS: '-mod=mod', GOCACHE: join(tmpdir(), 'plinth-gocache'), GOPROXY: 'off' },
    });
    r = await startTestRegion('pglite');
    await r.api('POST', 'zones/', [['name', 'az2']]);
    await r.api('POST', 'tags/', [['name', 'juju']]);
    const m = (await r.api('POST', 'machines/', [['architecture', 'amd64/generic'], ['mac_addresses', '52:54:00:12:00:01'], ['mac_addresses', '52:54:00:12:00:02'], ['hostname', 'juju-1'], ['zone', 'az2']])).json();
    await r.api('POST', 'machines/', [['architecture', 'arm64'], ['mac_addresses', '52:54:00:12:00:03'], ['hostname', 'juju-2'], ['deployed', 'true']]);
    await r.api('POST', 'tags/juju/?op=update_nodes', [['add', m.system_id]]);
    const [{ id }] = await r.svc.db.query<{ id: number }>('select id from nodes where system_id = $1', [m.system_id]);
    await r.svc.db.query("insert into block_devices (node_id, name, model, serial, id_path, size, tags, is_boot) values ($1, 'sda', 'QEMU HARDDISK', 'QM1', '/dev/disk/by-id/x', 10737418240, '{ssd}', true)", [id]);
  });
  after(async () => { await r?.close(); if (work) rmSync(work, { recursive: true, force: true }); });

  test('NewController, Machines (strict schema), filters, owner data, Zones, Pools, Tags', async () => {
    const out = await go(r.base.replace(/api\/2\.0\/$/, ''), r.adminKey, 'inventory');
    const byName = Object.fromEntries(out.machines.map((m: { hostname: string }) => [m.hostname, m]));
    assert.deepEqual(Object.keys(byName).sort(), ['juju-1', 'juju-2']);
    const j1 = byName['juju-1'];
    assert.equal(j1.fqdn, 'juju-1.maas');
    assert.equal(j1.status, 'New');
    assert.equal(j1.architecture, 'amd64/generic');
    assert.equal(j1.zone, 'az2');
    assert.equal(j1.pool, 'default');
    assert.deepEqual(j1.tags, ['juju']);
    assert.equal(j1.boot_mac, '52:54:00:12:00:01');
    assert.deepEqual(j1.interfaces, ['eth0=52:54:00:12:00:01', 'eth1=52:54:00:12:00:02']);
    assert.deepEqual(j1.vlans, ['fabric-0/0', 'fabric-0/0']);
    assert.deepEqual(j1.disks, ['sda:10737418240']);
    assert.equal(byName['juju-2'].status, 'Deployed');
    assert.equal(out.filtered, 1);
    assert.deepEqual(out.owner_data_after, { 'juju-model': 'm1' });
    assert.deepEqual(out.zones.sort(), ['az2', 'default']);
    assert.deepEqual(out.pools, ['default']);
    assert.deepEqual(out.tags, ['juju']);
  });

  test('a bad key is refused by NewController', async () => {
    await assert.rejects(run(probe, [r.base, 'a:b:c', 'badkey'], { timeout: 60_000 }));
  });
});
