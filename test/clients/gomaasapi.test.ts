/**
 * juju's gomaasapi against Plinth: the Debian package's sources, built offline in GOPATH mode, drive
 * NewController (version/capabilities, whoami), Machines with its strict schema, filters, owner data,
 * Zones, Pools and Tags. Skipped only when Go or the package is not installed (.ci/run installs them).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { buildProbe, run, SKIP } from './gomaasapi/build.ts';
import { startTestRegion, type TestRegion } from '../helpers/region.ts';

describe('gomaasapi (juju)', { skip: SKIP }, () => {
  let r: TestRegion;
  let cleanup: (() => void) | undefined;
  let probe: string;
  const go = async (...args: string[]) => JSON.parse((await run(probe, args, { timeout: 60_000 })).stdout);

  before(async () => {
    ({ probe, cleanup } = await buildProbe());
    r = await startTestRegion('pglite');
    await r.api('POST', 'zones/', [['name', 'az2']]);
    await r.api('POST', 'tags/', [['name', 'juju']]);
    const m = (await r.api('POST', 'machines/', [['architecture', 'amd64/generic'], ['mac_addresses', '52:54:00:12:00:01'], ['mac_addresses', '52:54:00:12:00:02'], ['hostname', 'juju-1'], ['zone', 'az2']])).json();
    await r.api('POST', 'machines/', [['architecture', 'arm64'], ['mac_addresses', '52:54:00:12:00:03'], ['hostname', 'juju-2'], ['deployed', 'true']]);
    await r.api('POST', 'tags/juju/?op=update_nodes', [['add', m.system_id]]);
    const [{ id }] = await r.svc.db.query<{ id: number }>('select id from nodes where system_id = $1', [m.system_id]);
    await r.svc.db.query("insert into block_devices (node_id, name, model, serial, id_path, size, tags, is_boot) values ($1, 'sda', 'QEMU HARDDISK', 'QM1', '/dev/disk/by-id/x', 10737418240, '{ssd}', true)", [id]);
  });
  after(async () => { await r?.close(); cleanup?.(); });

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
