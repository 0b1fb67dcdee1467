/** The pure allocation rules: storage and interface label constraints, cleaning, MAAS's 409 wording. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cleanConstraints, describeConstraints, legacyTags, noMatchMessage, pyRepr, type AllocationRequest } from '../../src/domain/allocation/constraints.ts';
import { matchInterfaces, parseInterfaces, type InterfaceFacts } from '../../src/domain/allocation/interfaces.ts';
import { matchStorage, parseStorage, type DiskFacts } from '../../src/domain/allocation/storage.ts';
import { PlinthError } from '../../src/domain/errors.ts';

const fieldsOf = (fn: () => unknown) => {
  try { fn(); } catch (err) { if (err instanceof PlinthError) return err.fields; throw err; }
  return undefined;
};

test('storage: parsing, GB sizes, root first then most tags first, malformed refused', () => {
  assert.deepEqual(parseStorage('root:80(ssd),data:400,scratch:0.5(ssd,nvme)'), [
    { label: 'root', bytes: 80e9, tags: ['ssd'] },
    { label: 'scratch', bytes: 0.5e9, tags: ['ssd', 'nvme'] },
    { label: 'data', bytes: 400e9, tags: [] },
  ]);
  assert.deepEqual(parseStorage('20'), [{ label: '', bytes: 20e9, tags: [] }]);
  assert.deepEqual(parseStorage(''), []);
  for (const bad of ['root:', 'root:big', '20,,30', ' 20', '20(ssd', 'a:1.2.3', 'x-y:10', 'a:1,a:2', '20()', '20(ssd,)']) {
    assert.ok(fieldsOf(() => parseStorage(bad))?.storage, bad);
  }
});

test('storage: matching picks the boot disk as root and the smallest fitting unused disk for the rest', () => {
  const disks: DiskFacts[] = [
    { id: 1, size: 500e9, tags: [], isBoot: true },
    { id: 2, size: 2000e9, tags: ['rotary'], isBoot: false },
    { id: 3, size: 1000e9, tags: ['ssd'], isBoot: false },
    { id: 4, size: 1200e9, tags: ['ssd'], isBoot: false },
  ];
  const cases: Array<[string, Record<string, number[]> | null]> = [
    ['root:100', { root: [1] }],
    ['root:600', null],
    ['root:100(ssd)', null],
    ['root:100,a:900(ssd),b:900(ssd)', { root: [1], a: [3], b: [4] }],
    ['root:100,a:900(ssd),b:900(ssd),c:900(ssd)', null],
    ['root:100,big:1500', { root: [1], big: [2] }],
    ['root:100,x:100,y:100,z:100', { root: [1], x: [3], y: [4], z: [2] }],
    ['100,200', {}],
    ['root:100,p:10(partition)', null],
  ];
  for (const [spec, expected] of cases) assert.deepEqual(matchStorage(parseStorage(spec), disks), expected, spec);
  assert.equal(matchStorage(parseStorage('1'), []), null, 'no disks, no match');
  // Without an explicit boot disk, the lowest id is the root.
  assert.deepEqual(matchStorage(parseStorage('r:1'), [{ id: 9, size: 5e9, tags: [], isBoot: false }, { id: 7, size: 2e9, tags: [], isBoot: false }]), { r: [7] });
});

const fabric0 = { id: 0, name: 'fabric-0', classType: null };
const storage = { id: 1, name: 'storage', classType: '10g' };
const ifaces: InterfaceFacts[] = [
  { id: 10, name: 'eth0', type: 'physical', tags: [], linkSpeed: 1000, hostname: 'n1', addresses: [], vlan: { id: 5001, vid: 0, name: 'untagged', fabric: fabric0 } },
  { id: 11, name: 'eth1', type: 'physical', tags: ['sriov', 'fast'], linkSpeed: 10000, hostname: 'n1', addresses: [], vlan: { id: 5002, vid: 100, name: 'stor', fabric: storage } },
  { id: 12, name: 'bond0', type: 'bond', tags: [], linkSpeed: 0, hostname: 'n1', addresses: [], vlan: null },
];

test('interfaces: labeled constraint maps, each label matched on one interface', () => {
  const cases: Array<[string, Record<string, number[]> | null]> = [
    ['a:name=eth0', { a: [10] }],
    ['a:name=eth0,name=eth1', { a: [10, 11] }],
    ['a:fabric=storage,vid=100', { a: [11] }],
    ['a:fabric=storage,vid=0', null],
    ['a:fabric_class=10g;b:fabric=fabric-0', { a: [11], b: [10] }],
    ['a:vlan=vid:100', { a: [11] }],
    ['a:vlan=5001', { a: [10] }],
    ['a:vlan=fabric:storage', { a: [11] }],
    ['a:fabric=id:1', { a: [11] }],
    ['a:tag=sriov,tag=fast', { a: [11] }],
    ['a:not_tag=sriov', { a: [10, 12] }],
    ['a:link_speed=5000', { a: [11] }],
    ['a:type=bond', { a: [12] }],
    ['a:not_fabric=fabric-0,type=physical', { a: [11] }],
    ['a:id=12', { a: [12] }],
    ['a:not_id=10,not_id=11', { a: [12] }],
    ['a:hostname=n1', { a: [10, 11, 12] }],
    ['a:ip=10.0.0.5', null],
    ['a:mode=unconfigured', { a: [10, 11, 12] }],
    ['a:vid=200', null],
  ];
  for (const [spec, expected] of cases) assert.deepEqual(matchInterfaces(parseInterfaces(spec), ifaces), expected, spec);
  const bad: Array<[string, RegExp]> = [
    ['eth0', /Malformed/], [':name=eth0', /Malformed/], ['a:name', /Malformed/], ['a:name=x;a:name=y', /Duplicate label/],
    ['a:speed=1', /Unknown interfaces constraint/], ['a:id=x', /whole number/], ['a:mode=dhcp', /unconfigured/],
    ['a:ip=999.1.1.1', /Invalid IP/], ['a:subnet=1', /No matching subnets/], ['a:space=dmz', /No matching spaces/],
  ];
  for (const [spec, why] of bad) assert.match(fieldsOf(() => parseInterfaces(spec))?.interfaces?.[0] ?? 'parsed', why, spec);
});

test('cleaning and describing: wildcards, legacy tag lists, MAAS resolution text', () => {
  assert.deepEqual(legacyTags(['a,b c', 'a']), ['a', 'b', 'c']);
  const c = cleanConstraints({ arch: ['arm', 'amd64/generic'], cpu_count: 4, mem: 1536.5, tags: ['b a'], zone: ['z1', 'z2'], storage: 'root:10', not_pod: ['p'] });
  assert.deepEqual(c.arches, [{ prefix: 'armhf' }, { exact: 'amd64/generic' }]);
  assert.equal(describeConstraints(c), 'arch=armhf/*,amd64/generic cpu_count=4.0 mem=1536.5 not_pod=p storage=root:10 tags=a,b zone=z1,z2');
  const errors: Array<[AllocationRequest, string]> = [
    [{ arch: ['vax'] }, 'arch'], [{ subnets: ['1'] }, 'subnets'], [{ not_subnets: ['cidr:10.0.0.0/8'] }, 'not_subnets'],
    [{ devices: 'vendor=1' }, 'devices'], [{ vlans: ['colour:red'] }, 'vlans'], [{ fabrics: ['vid:1'] }, 'fabrics'],
    [{ storage: 'x', interfaces: 'y' }, 'storage,interfaces'],
  ];
  for (const [req, fields] of errors) assert.deepEqual(Object.keys(fieldsOf(() => cleanConstraints(req)) ?? {}).join(','), fields, JSON.stringify(req));
});

test('409 wording: the request as Python prints it, then the resolution', () => {
  assert.equal(pyRepr("it's"), `"it's"`);
  assert.equal(pyRepr(`both ' and "`), `'both \\' and "'`);
  assert.equal(pyRepr('tab\there\\'), "'tab\\there\\\\'");
  const c = cleanConstraints({ name: ['n1'], cpu_count: 2 });
  assert.equal(noMatchMessage(c, [['name', ['n1']], ['cpu_count', ['2']], ['agent_name', ['x']]]),
    `No available machine matches constraints: [('name', ['n1']), ('cpu_count', ['2']), ('agent_name', ['x'])] (resolved to "cpu_count=2.0 name=n1")`);
  assert.equal(noMatchMessage(cleanConstraints({}), [['agent_name', ['x']]]), 'No machine available.');
  assert.equal(noMatchMessage(cleanConstraints({ system_id: ['abc123'] }), []), 'No machine with system ID abc123 available.');
});
