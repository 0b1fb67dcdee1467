/** `POST machines/?op=allocate`: every constraint against a small fleet, MAAS's answers and errors. */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { BACKENDS } from '../helpers/backends.ts';
import { startTestRegion, type TestRegion } from '../helpers/region.ts';
import { seedMachine, type Seeded } from './seed.ts';

type Expect = string | { status: number; body?: unknown; text?: string };

for (const kind of BACKENDS) {
  describe(`allocate (${kind})`, () => {
    let r: TestRegion;
    const m: Record<string, Seeded> = {};
    before(async () => {
      r = await startTestRegion(kind);
      await r.api('POST', 'zones/', [['name', 'rack2']]);
      await r.api('POST', 'resourcepools/', [['name', 'gpu']]);
      m.small = await seedMachine(r, { hostname: 'small', cpu: 2, mem: 4096, disks: [{ name: 'sda', gb: 100, boot: true }] });
      m.mid = await seedMachine(r, {
        hostname: 'mid', cpu: 4, mem: 8192, zone: 'rack2', pool: 'gpu', tags: ['gpu'],
        disks: [{ name: 'sda', gb: 500, boot: true }, { name: 'sdb', gb: 1000, tags: ['ssd'] }, { name: 'sdc', gb: 2000, tags: ['rotary'] }],
        ifaces: [{ name: 'eth0', speed: 1000 }, { name: 'eth1', fabric: 'storage', vid: 100, tags: ['sriov'], speed: 10000 }],
      });
      m.big = await seedMachine(r, {
        hostname: 'big', cpu: 16, mem: 65536, arch: 'arm64/generic',
        disks: [{ name: 'sda', gb: 240, tags: ['ssd'], boot: true }, { name: 'sdb', gb: 4000 }],
        ifaces: [{ name: 'eth0', fabric: 'storage', vid: 0, speed: 25000 }],
      });
      // The cheapest machine of all, but deployed: never a candidate.
      m.busy = await seedMachine(r, { hostname: 'busy', cpu: 1, mem: 1024, status: 6 });
      await r.svc.db.query("update fabrics set class_type = '10g' where name = 'storage'");
    });
    after(async () => { await r.close(); });

    const allocate = (fields: Array<[string, string]>, key?: string) => r.api('POST', 'machines/?op=allocate', fields, key);

    test('constraints select the cheapest matching machine (dry run)', async () => {
      const cases: Array<[string, Array<[string, string]>, Expect]> = [
        ['no constraints: cheapest Ready', [], 'small'],
        ['cpu_count is a minimum', [['cpu_count', '3']], 'mid'],
        ['mem is a minimum in MiB', [['mem', '10000']], 'big'],
        ['arch wildcard', [['arch', 'arm64']], 'big'],
        ['arch exact', [['arch', 'arm64/generic']], 'big'],
        ['arch amd64', [['arch', 'amd64']], 'small'],
        ['arch unknown', [['arch', 'sparc']], { status: 400, body: { arch: ['Architecture not recognised.'] } }],
        ['name', [['name', 'mid']], 'mid'],
        ['name as FQDN', [['name', 'mid.maas']], 'mid'],
        ['name with the wrong domain', [['name', 'mid.elsewhere']], { status: 409 }],
        ['system_id', [['system_id', m.big.system_id]], 'big'],
        ['tags (all of)', [['tags', 'gpu']], 'mid'],
        ['unknown tag', [['tags', 'gpu,fast']], { status: 400, body: { tags: ["No such tag(s): 'fast'."] } }],
        ['not_tags', [['not_tags', 'gpu'], ['cpu_count', '3']], 'big'],
        ['zone', [['zone', 'rack2']], 'mid'],
        ['unknown zone', [['zone', 'nowhere']], { status: 400, body: { zone: ['No such zone(s): nowhere.'] } }],
        ['not_in_zone', [['not_in_zone', 'default']], 'mid'],
        ['pool', [['pool', 'gpu']], 'mid'],
        ['unknown pool', [['pool', 'nope']], { status: 400, body: { pool: ['No such pool(s): nope.'] } }],
        ['not_in_pool', [['not_in_pool', 'default']], 'mid'],
        ['fabrics (any of)', [['fabrics', 'storage'], ['fabrics', 'nowhere']], 'mid'],
        ['not_fabrics', [['not_fabrics', 'storage']], 'small'],
        ['fabric_classes', [['fabric_classes', '10g']], 'mid'],
        ['not_fabric_classes', [['not_fabric_classes', '10g']], 'small'],
        ['vlans by vid', [['vlans', 'vid:100']], 'mid'],
        ['vlans with no match', [['vlans', 'name:nope']], { status: 400, body: { vlans: ['No matching VLANs found.'] } }],
        ['link_speed', [['link_speed', '20000']], 'big'],
        ['storage: labelled root and data disks', [['storage', 'root:200,data:900(ssd)']], 'mid'],
        ['storage: root disk must carry the tags', [['storage', '200(ssd)']], 'big'],
        ['storage: partitions are not modelled', [['storage', 'root:10,p:1(partition)']], { status: 409 }],
        ['storage: malformed', [['storage', 'root:big']], { status: 400, body: { storage: ['Malformed storage constraint, "root:big".'] } }],
        ['interfaces: keys on one interface', [['interfaces', 'fast:fabric=storage,tag=sriov']], 'mid'],
        ['interfaces: two labels', [['interfaces', 'a:vid=0;b:vid=100']], 'mid'],
        ['interfaces: link speed', [['interfaces', 'a:link_speed=20000']], 'big'],
        ['interfaces: negation', [['interfaces', 'a:not_fabric=fabric-0']], 'mid'],
        ['interfaces: unknown key', [['interfaces', 'a:colour=red']], { status: 400, body: { interfaces: ["Unknown interfaces constraint: 'colour'."] } }],
        ['interfaces: subnets do not exist yet', [['interfaces', 'a:subnet=10.0.0.0/24']], { status: 400, body: { interfaces: ['No matching subnets found.'] } }],
        ['subnets do not exist yet', [['subnets', 'cidr:10.0.0.0/24']], { status: 400, body: { subnets: ['No matching subnets found.'] } }],
        ['pod never matches', [['pod', 'vmhost-1']], { status: 409 }],
        ['not_pod always holds', [['not_pod', 'vmhost-1'], ['not_pod_type', 'lxd']], 'small'],
        ['devices: none recorded', [['devices', 'vendor_id=10de']], { status: 409 }],
        ['devices: unknown key', [['devices', 'colour=red']], { status: 400, body: { devices: ["Unknown devices constraint: 'colour'."] } }],
        ['cpu_count must be a number', [['cpu_count', 'two']], { status: 400 }],
        ['a deployed machine is not available', [['system_id', m.busy.system_id]], { status: 409, text: `No machine with system ID ${m.busy.system_id} available.` }],
      ];
      for (const [what, fields, expect] of cases) {
        const res = await allocate([...fields, ['dry_run', 'true']]);
        if (typeof expect === 'string') {
          assert.equal(res.status, 200, `${what}: ${res.text}`);
          assert.equal(res.json().hostname, expect, what);
          assert.equal(res.json().status_name, 'Ready', `${what}: a dry run allocates nothing`);
        } else {
          assert.equal(res.status, expect.status, `${what}: ${res.text}`);
          if (expect.body) assert.deepEqual(res.json(), expect.body, what);
          if (expect.text) assert.equal(res.text, expect.text, what);
        }
      }
    });

    test('constraints_by_type reports matched disks and interfaces; verbose adds every candidate', async () => {
      const s = (await allocate([['storage', 'root:200,data:900(ssd),1500'], ['dry_run', 'true']])).json();
      assert.equal(s.hostname, 'mid');
      assert.deepEqual(s.constraints_by_type, { storage: { root: [m.mid.disks.sda], data: [m.mid.disks.sdb] } });
      const i = (await allocate([['interfaces', 'a:vid=0;b:fabric=storage'], ['dry_run', 'true']])).json();
      assert.equal(i.hostname, 'mid');
      assert.deepEqual(i.constraints_by_type, { interfaces: { a: [m.mid.ifaces.eth0], b: [m.mid.ifaces.eth1] } });
      assert.deepEqual((await allocate([['dry_run', 'true']])).json().constraints_by_type, {});
      const v = (await allocate([['storage', 'root:200'], ['interfaces', 'x:vid=0'], ['verbose', 'true'], ['dry_run', 'true']])).json();
      assert.equal(v.hostname, 'mid');
      assert.deepEqual(v.constraints_by_type.verbose_storage, {
        [m.mid.id]: { [m.mid.disks.sda]: 'root' }, [m.big.id]: { [m.big.disks.sda]: 'root' },
      });
      assert.deepEqual(v.constraints_by_type.verbose_interfaces, { x: { [m.mid.id]: [m.mid.ifaces.eth0], [m.big.id]: [m.big.ifaces.eth0] } });
    });

    test('409 texts name the constraints as sent and as resolved', async () => {
      const res = await allocate([['name', 'nobody'], ['tags', 'gpu gpu'], ['cpu_count', '2'], ['arch', 'arm64'], ['agent_name', "o'hara"], ['dry_run', 'true']]);
      assert.equal(res.status, 409);
      assert.equal(res.text, 'No available machine matches constraints: '
        + `[('name', ['nobody']), ('tags', ['gpu gpu']), ('cpu_count', ['2']), ('arch', ['arm64']), ('agent_name', ["o'hara"]), ('dry_run', ['true'])] `
        + '(resolved to "arch=arm64/* cpu_count=2.0 name=nobody tags=gpu")');
    });

    test('allocation: Ready → Allocated to the caller, with agent name and an event; never twice', async () => {
      const res = await allocate([['agent_name', 'juju-controller'], ['comment', 'for the k8s cluster']], r.userKey);
      assert.equal(res.status, 200, res.text);
      const a = res.json();
      assert.deepEqual([a.hostname, a.status_name, a.status, a.owner], ['small', 'Allocated', 10, 'alice']);
      const [row] = await r.svc.db.query<{ agent_name: string; previous_status: number }>('select agent_name, previous_status from nodes where id = $1', [m.small.id]);
      assert.deepEqual(row, { agent_name: 'juju-controller', previous_status: 4 });
      const events = (await r.api('GET', `events/?op=query&id=${a.system_id}`)).json().events;
      assert.ok(events.some((e: { type: string; description: string }) => e.type === 'Allocated' && e.description.includes('for the k8s cluster')), JSON.stringify(events));
      assert.deepEqual((await r.api('GET', 'machines/?op=list_allocated', [], r.userKey)).json().map((x: { hostname: string }) => x.hostname), ['small']);
      // The next allocation takes the next cheapest; asking for the allocated one by id fails.
      assert.equal((await allocate([])).json().hostname, 'mid');
      const again = await allocate([['system_id', m.small.system_id]]);
      assert.deepEqual([again.status, again.text], [409, `No machine with system ID ${m.small.system_id} available.`]);
      assert.equal((await allocate([])).json().hostname, 'big');
      const none = await allocate([]);
      assert.deepEqual([none.status, none.text], [409, 'No machine available.']);
    });
  });
}
