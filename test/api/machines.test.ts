/** machines/ and machines/<id>/: create, list with filters, read, update, delete; the JSON's types. */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { BACKENDS } from '../helpers/backends.ts';
import { startTestRegion, type TestRegion } from '../helpers/region.ts';

const ipmi = (addr: string): Array<[string, string]> => [
  ['power_type', 'ipmi'], ['power_parameters_power_address', addr], ['power_parameters_power_user', 'admin'], ['power_parameters_power_pass', 'S3cret!pw'],
];

for (const kind of BACKENDS) {
  describe(`machines API (${kind})`, () => {
    let r: TestRegion;
    before(async () => { r = await startTestRegion(kind); });
    after(async () => { await r.close(); });

    test('create with MACs, architecture and power → New, full JSON with strict types', async () => {
      const res = await r.api('POST', 'machines/', [
        ['architecture', 'amd64/generic'], ['mac_addresses', '52:54:00:00:00:01'], ['mac_addresses', '52-54-00-00-00-02'],
        ['hostname', 'node-1'], ['description', 'rack 1 slot 1'], ...ipmi('10.0.0.10'),
      ]);
      assert.equal(res.status, 200, res.text);
      const m = res.json();
      assert.match(m.system_id, /^[a-z0-9]{6}$/);
      assert.equal(m.hostname, 'node-1');
      assert.equal(m.fqdn, 'node-1.maas');
      assert.equal(m.status, 0);
      assert.equal(m.status_name, 'New');
      assert.equal(m.resource_uri, `/MAAS/api/2.0/machines/${m.system_id}/`);
      assert.equal(m.power_type, 'ipmi');
      assert.equal(m.osystem, '');
      assert.equal(m.distro_series, '');
      assert.deepEqual(m.tag_names, []);
      assert.deepEqual(m.ip_addresses, []);
      assert.equal(typeof m.hardware_info.system_vendor, 'string');
      assert.deepEqual(m.zone, { name: 'default', description: '', id: 1, resource_uri: '/MAAS/api/2.0/zones/default/' });
      assert.equal(m.pool.name, 'default');
      assert.equal(m.interface_set.length, 2);
      assert.deepEqual(m.interface_set.map((i: { mac_address: string }) => i.mac_address), ['52:54:00:00:00:01', '52:54:00:00:00:02']);
      assert.equal(m.boot_interface.mac_address, '52:54:00:00:00:01');
      assert.equal(m.interface_set[0].vlan.fabric, 'fabric-0');
      assert.equal(m.interface_set[0].vlan.vid, 0);
      assert.deepEqual(m.physicalblockdevice_set, []);
      assert.equal(m.node_type_name, 'Machine');
      assert.equal(JSON.stringify(m).includes('S3cret'), false, 'no secret in the machine JSON');
      const events = await r.api('GET', `events/?op=query&id=${m.system_id}`);
      assert.equal(events.json().events[0].type, 'New');
    });

    test('power_parameters are admin-only, and listings never show them', async () => {
      const [m] = (await r.api('GET', 'machines/?hostname=node-1')).json();
      const own = await r.api('GET', `machines/${m.system_id}/?op=power_parameters`);
      assert.equal(own.json().power_pass, 'S3cret!pw');
      assert.equal((await r.api('GET', `machines/${m.system_id}/?op=power_parameters`, [], r.userKey)).status, 403);
      const list = await r.api('GET', 'machines/', [], r.userKey);
      assert.equal(list.text.includes('S3cret'), false);
    });

    test('refuses bad input with field errors and stores nothing', async () => {
      const before = (await r.api('GET', 'machines/')).json().length;
      const cases: Array<[Array<[string, string]>, string]> = [
        [[['mac_addresses', '52:54:00:00:00:09']], 'architecture'],
        [[['architecture', 'vax'], ['mac_addresses', '52:54:00:00:00:09']], 'architecture'],
        [[['architecture', 'amd64']], 'mac_addresses'],
        [[['architecture', 'amd64'], ['mac_addresses', '52:54:00:00:00:01']], 'mac_addresses'],
        [[['architecture', 'amd64'], ['mac_addresses', '52:54:00:00:00:09'], ['hostname', 'node-1']], 'hostname'],
        [[['architecture', 'amd64'], ['mac_addresses', '52:54:00:00:00:09'], ['hostname', '-bad-']], 'hostname'],
        [[['architecture', 'amd64'], ['mac_addresses', '52:54:00:00:00:09'], ['zone', 'nowhere']], 'zone'],
        [[['architecture', 'amd64'], ['mac_addresses', '52:54:00:00:00:09'], ['power_type', 'ipmi']], 'power_parameters_power_address'],
        [[['architecture', 'amd64'], ['mac_addresses', '52:54:00:00:00:09'], ['power_type', 'smoke-signals']], 'power_type'],
      ];
      for (const [fields, field] of cases) {
        const res = await r.api('POST', 'machines/', fields);
        assert.equal(res.status, 400, `${JSON.stringify(fields)} → ${res.text}`);
        assert.ok(res.json()[field], `${field} in ${res.text}`);
      }
      assert.equal((await r.api('GET', 'machines/')).json().length, before);
    });

    test('list filters: hostname, id, mac_address, zone, pool, status, tags, owner', async () => {
      await r.api('POST', 'zones/', [['name', 'rack2']]);
      await r.api('POST', 'resourcepools/', [['name', 'gpu']]);
      const b = (await r.api('POST', 'machines/', [['architecture', 'arm64'], ['mac_addresses', '52:54:00:00:01:01'], ['hostname', 'node-2'], ['zone', 'rack2'], ['pool', 'gpu']])).json();
      const c = (await r.api('POST', 'machines/', [['architecture', 'amd64'], ['mac_addresses', '52:54:00:00:01:02'], ['hostname', 'node-3'], ['deployed', 'true']])).json();
      assert.equal(c.status_name, 'Deployed');
      await r.api('POST', 'tags/', [['name', 'fast']]);
      assert.deepEqual((await r.api('POST', 'tags/fast/?op=update_nodes', [['add', b.system_id]])).json(), { added: 1, removed: 0 });
      const names = async (q: string) => (await r.api('GET', `machines/${q}`)).json().map((m: { hostname: string }) => m.hostname).sort();
      assert.deepEqual(await names('?hostname=node-2'), ['node-2']);
      assert.deepEqual(await names('?hostname=node-2.maas'), ['node-2']);
      assert.deepEqual(await names(`?id=${b.system_id}&id=${c.system_id}`), ['node-2', 'node-3']);
      assert.deepEqual(await names('?mac_address=52:54:00:00:01:02'), ['node-3']);
      assert.deepEqual(await names('?zone=rack2'), ['node-2']);
      assert.deepEqual(await names('?pool=gpu'), ['node-2']);
      assert.deepEqual(await names('?status=deployed'), ['node-3']);
      assert.deepEqual(await names('?status=new'), ['node-1', 'node-2']);
      assert.deepEqual(await names('?tags=fast'), ['node-2']);
      assert.deepEqual(await names('?arch=arm64'), ['node-2']);
      assert.deepEqual(await names('?owner=admin'), ['node-3']);
      assert.equal((await r.api('GET', 'machines/?zone=nowhere')).status, 400);
      assert.equal((await r.api('GET', 'machines/?status=sleepy')).status, 400);
      assert.deepEqual((await r.api('GET', `tags/fast/?op=machines`)).json().map((m: { hostname: string }) => m.hostname), ['node-2']);
      // A plain user does not see machines owned by someone else.
      const seen = (await r.api('GET', 'machines/', [], r.userKey)).json().map((m: { hostname: string }) => m.hostname);
      assert.equal(seen.includes('node-3'), false);
      assert.equal((await r.api('GET', `machines/${c.system_id}/`, [], r.userKey)).status, 404);
    });

    test('update: hostname, zone, pool, power; conflicts refused', async () => {
      const [m] = (await r.api('GET', 'machines/?hostname=node-1')).json();
      const res = await r.api('PUT', `machines/${m.system_id}/`, [['hostname', 'renamed'], ['zone', 'rack2'], ['pool', 'gpu'], ['cpu_count', '8'], ['memory', '16384']]);
      assert.equal(res.status, 200, res.text);
      const u = res.json();
      assert.deepEqual([u.hostname, u.zone.name, u.pool.name, u.cpu_count, u.memory], ['renamed', 'rack2', 'gpu', 8, 16384]);
      assert.equal((await r.api('PUT', `machines/${m.system_id}/`, [['hostname', 'node-2']])).status, 400);
      assert.equal((await r.api('PUT', `machines/${m.system_id}/`, [['power_parameters_power_address', '10.0.0.99']])).status, 200);
      const pp = (await r.api('GET', `machines/${m.system_id}/?op=power_parameters`)).json();
      assert.deepEqual([pp.power_address, pp.power_pass], ['10.0.0.99', 'S3cret!pw'], 'other parameters kept');
      assert.equal((await r.api('PUT', `machines/${m.system_id}/`, [['cpu_count', 'many']])).status, 400);
      // A plain user may not edit a machine it does not own.
      assert.equal((await r.api('PUT', `machines/${m.system_id}/`, [['hostname', 'mine']], r.userKey)).status, 403);
    });

    test('workload annotations', async () => {
      const [m] = (await r.api('GET', 'machines/?hostname=renamed')).json();
      const res = await r.api('POST', `machines/${m.system_id}/?op=set_workload_annotations`, [['cluster', 'k8s-a'], ['role', 'worker']]);
      assert.deepEqual(res.json().workload_annotations, { cluster: 'k8s-a', role: 'worker' });
      const res2 = await r.api('POST', `machines/${m.system_id}/?op=set_owner_data`, [['role', '']]);
      assert.deepEqual(res2.json().owner_data, { cluster: 'k8s-a' });
    });

    test('anonymous enlistment and is_registered', async () => {
      const res = await r.api('POST', 'machines/', [['architecture', 'amd64'], ['mac_addresses', '52:54:00:00:02:01'],
        ['power_type', 'ipmi'], ['power_parameters', JSON.stringify({ power_address: '10.0.0.20', power_user: 'maas', power_pass: 'x' })]], null);
      assert.equal(res.status, 200, res.text);
      const m = res.json();
      assert.equal(m.status_name, 'New');
      assert.equal(m.interface_set, undefined, 'anonymous view is the short one');
      assert.equal((await r.api('GET', 'machines/?op=is_registered&mac_address=52:54:00:00:02:01', [], null)).json(), true);
      assert.equal((await r.api('GET', 'machines/?op=is_registered&mac_address=52:54:00:00:09:09', [], null)).json(), false);
      assert.equal((await r.api('GET', 'machines/', [], null)).status, 401, 'listing needs credentials');
    });

    test('delete: deployed needs force; then 204 and gone', async () => {
      const [c] = (await r.api('GET', 'machines/?hostname=node-3')).json();
      const refused = await r.api('DELETE', `machines/${c.system_id}/`);
      assert.equal(refused.status, 409);
      assert.equal((await r.api('DELETE', `machines/${c.system_id}/?force=true`)).status, 204);
      assert.equal((await r.api('GET', `machines/${c.system_id}/`)).status, 404);
    });
  });
}
