/**
 * Ingestion of commissioning output into the machine model, table-driven over real captured outputs
 * (fixtures/host-*: 00-plinth-facts and lshw run on this build host, a Firecracker VM with a virtio
 * disk and NIC) and variations of them standing for hardware changes between commissionings.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { ingestScriptOutput, ScriptOutputError } from '../../src/services/commissioning/ingest.ts';
import type { Facts } from '../../src/services/commissioning/facts.ts';
import { BACKENDS } from '../helpers/backends.ts';
import { startTestRegion, type TestRegion } from '../helpers/region.ts';

const fixture = (f: string) => readFileSync(new URL(`./fixtures/${f}`, import.meta.url));
const HOST: Facts = JSON.parse(fixture('host-facts.json').toString());
const LSHW = fixture('host-lshw.xml');
const json = (v: unknown) => Buffer.from(JSON.stringify(v));
const clone = (): Facts => structuredClone(HOST);
const disk = (name: string, serial: string, extra: Partial<Facts['disks'][number]> = {}): Facts['disks'][number] => ({
  name, model: 'QEMU HARDDISK', serial, size: 10 * 2 ** 30, block_size: 512, rotational: false, removable: false,
  id_path: `/dev/disk/by-id/virtio-${serial}`, firmware_version: '2.5+', bus: 'pci', numa_node: null, ...extra,
});
const nic = (name: string, mac: string): Facts['nics'][number] => ({
  name, mac, driver: 'virtio_net', speed_mbps: 1000, link: 'up', mtu: 1500, bus: 'pci', address: '0000:00:04.0',
  vendor_id: '0x1af4', product_id: '0x1041', numa_node: null,
});

for (const kind of BACKENDS) {
  describe(`commissioning ingestion (${kind})`, () => {
    let r: TestRegion;
    let node: { id: number; system_id: string };
    const hostMac = HOST.nics[0].mac;
    const ingest = (script: string, out: Buffer, n = node) => ingestScriptOutput(r.svc, r.svc.db, n, script, out);
    const machine = async () => (await r.api('GET', `machines/${node.system_id}/`)).json();
    const snapshot = async () => JSON.stringify([
      await r.svc.db.query('select cpu_count, memory, cpu_speed, hardware_info, architecture from nodes where id = $1', [node.id]),
      await r.svc.db.query('select id, name, mac_address, parent_ids from interfaces where node_id = $1 order by id', [node.id]),
      await r.svc.db.query('select id, name, serial, tags, is_boot from block_devices where node_id = $1 order by id', [node.id]),
    ]);
    const rejects = async (script: string, out: Buffer, pattern: RegExp) => {
      const before = await snapshot();
      await assert.rejects(ingest(script, out), (e: unknown) => e instanceof ScriptOutputError && e.script === script && pattern.test(e.message));
      assert.equal(await snapshot(), before, 'nothing was written');
    };

    before(async () => {
      r = await startTestRegion(kind);
      // Enlisted with the host's MAC and one the machine no longer has.
      const res = await r.api('POST', 'machines/', [['architecture', 'amd64/generic'], ['mac_addresses', `${hostMac},52:54:00:aa:bb:cc`], ['hostname', 'host1'], ['commission', 'false']]);
      assert.equal(res.status, 200, res.text);
      node = { system_id: res.json().system_id, id: (await r.svc.db.query<{ id: number }>('select id from nodes where system_id = $1', [res.json().system_id]))[0].id };
    });
    after(async () => { await r.close(); });

    test('first commissioning: CPU, memory, firmware, hardware info, interfaces and disks', async () => {
      const eth0Before = (await machine()).interface_set.find((i: any) => i.mac_address === hostMac);
      await ingest('00-plinth-facts', fixture('host-facts.json'));
      const m = await machine();
      assert.equal(m.cpu_count, HOST.cpu.count);
      assert.equal(m.cpu_speed, HOST.cpu.speed_mhz);
      assert.equal(m.memory, HOST.memory_mib);
      assert.equal(m.bios_boot_method, 'pxe');
      assert.equal(m.hardware_info.cpu_model, HOST.cpu.model);
      assert.equal(m.hardware_info.system_vendor, 'Unknown', 'this host has no DMI');
      assert.deepEqual(m.interface_set.map((i: any) => [i.name, i.mac_address]), [[HOST.nics[0].name, hostMac]]);
      assert.equal(m.interface_set[0].id, eth0Before.id, 'the known NIC kept its row');
      assert.equal(m.interface_set[0].vlan?.id, eth0Before.vlan?.id, 'and its VLAN');
      const [d] = m.physicalblockdevice_set;
      assert.equal(d.name, HOST.disks[0].name);
      assert.equal(d.serial, HOST.disks[0].serial);
      assert.equal(d.size, HOST.disks[0].size);
      assert.deepEqual(d.tags, ['rotary']);
      assert.equal(m.boot_disk.id, d.id, 'the only disk became the boot disk');
      const events = (await r.api('GET', 'events/', [['op', 'query'], ['id', node.system_id]])).json().events;
      assert.ok(events.some((e: any) => /removed: interface eth1/.test(e.description)), 'the vanished NIC is in the event log');
    });

    test('recommissioning keeps what users built and follows hardware changes', async () => {
      // The user bonds the NIC, tags it and the disk.
      const eth = (await machine()).interface_set[0];
      const bond = await r.api('POST', `nodes/${node.system_id}/interfaces/?op=create_bond`, [['name', 'bond0'], ['parents', String(eth.id)]]);
      assert.equal(bond.status, 200, bond.text);
      await r.svc.db.query("update interfaces set tags = '{uplink}' where id = $1", [eth.id]);
      await r.svc.db.query("update block_devices set tags = array_append(tags, 'fast') where node_id = $1", [node.id]);
      const oldDisk = (await machine()).physicalblockdevice_set[0];
      // New hardware: the NIC is now called ens3 and has a sibling; the disk moved to vdb and a new vda came.
      const f = clone();
      f.nics = [{ ...f.nics[0], name: 'ens3' }, nic('ens4', '52:54:00:12:34:56')];
      f.disks = [disk('vda', 'NEWDISK'), { ...f.disks[0], name: 'vdb' }];
      await ingest('00-plinth-facts', json(f));
      const m = await machine();
      const names = Object.fromEntries(m.interface_set.map((i: any) => [i.name, i]));
      assert.deepEqual(Object.keys(names).sort(), ['bond0', 'ens3', 'ens4']);
      assert.equal(names.ens3.id, eth.id);
      assert.deepEqual(names.ens3.tags, ['uplink']);
      assert.deepEqual(names.bond0.parents, ['ens3'], 'the bond follows the rename');
      assert.equal(names.ens4.vlan, null, 'a new NIC starts disconnected');
      assert.equal(names.ens4.link_speed, 1000);
      const disks = Object.fromEntries(m.physicalblockdevice_set.map((d: any) => [d.name, d]));
      assert.equal(disks.vdb.id, oldDisk.id, 'matched by serial despite the new name');
      assert.deepEqual(disks.vdb.tags, ['fast', 'rotary']);
      assert.deepEqual(disks.vda.tags, ['ssd']);
      assert.equal(disks.vda.id_path, '/dev/disk/by-id/virtio-NEWDISK');
      assert.equal(m.boot_disk.id, oldDisk.id, 'the boot disk stays the same disk');

      // The bonded NIC is pulled: the bond has no member left and goes with it.
      const g = clone();
      g.nics = [nic('ens4', '52:54:00:12:34:56')];
      g.disks = [disk('vda', 'NEWDISK', { removable: true })];
      await ingest('00-plinth-facts', json(g));
      const m2 = await machine();
      assert.deepEqual(m2.interface_set.map((i: any) => i.name), ['ens4']);
      assert.deepEqual(m2.physicalblockdevice_set.map((d: any) => [d.name, d.tags]), [['vda', ['ssd', 'removable']]]);
      assert.equal(m2.boot_disk.name, 'vda', 'a new boot disk was chosen when the old one went');
    });

    const bad: Array<[string, string, Buffer, RegExp]> = [
      ['not JSON', '00-plinth-facts', Buffer.from('cpu: 4\n'), /did not print JSON/],
      ['a bad MAC', '00-plinth-facts', json({ ...clone(), nics: [{ ...HOST.nics[0], mac: 'zz' }] }), /nics\.0\.mac/],
      ['a negative size', '00-plinth-facts', json({ ...clone(), disks: [{ ...HOST.disks[0], size: -1 }] }), /disks\.0\.size/],
      ['an unknown field', '00-plinth-facts', json({ ...clone(), extra: 1 }), /invalid document/],
      ['another architecture', '00-plinth-facts', json({ ...clone(), architecture: 'arm64' }), /reports architecture 'arm64' but is registered as 'amd64\/generic'/],
      ['a MAC twice', '00-plinth-facts', json({ ...clone(), nics: [HOST.nics[0], { ...HOST.nics[0], name: 'x' }] }), /reported twice/],
      ['truncated lshw', '20-lshw', LSHW.subarray(0, 400), /well-formed XML/],
      ['empty lldp', '30-lldp', Buffer.from(''), /printed nothing/],
      ['a storage document with an unknown fstype', '50-storage-layout', json({ disks: [{ disk: 'vda', filesystem: { fstype: 'ntfs' } }] }), /invalid storage document/],
      ['storage text', '50-storage-layout', Buffer.from('sda: gpt'), /did not print JSON/],
    ];
    for (const [what, script, out, pattern] of bad) test(`${script} with ${what} is refused and writes nothing`, () => rejects(script, out, pattern));

    test('a MAC another machine owns is refused; inside a caller transaction only our part is undone', async () => {
      const other = await r.api('POST', 'machines/', [['architecture', 'amd64/generic'], ['mac_addresses', '52:54:00:99:99:99'], ['hostname', 'other'], ['commission', 'false']]);
      assert.equal(other.status, 200);
      const f = clone();
      f.cpu.count = 64;
      f.nics = [nic('ens4', '52:54:00:12:34:56'), nic('ens5', '52:54:00:99:99:99')];
      await rejects('00-plinth-facts', json(f), /52:54:00:99:99:99 is already in use on other/);
      await r.svc.db.tx(async (q) => {
        await assert.rejects(ingestScriptOutput(r.svc, q, node, '00-plinth-facts', json(f)), ScriptOutputError);
        await q.query("update nodes set error_description = 'facts refused' where id = $1", [node.id]);
      });
      const [row] = await r.svc.db.query<{ cpu_count: number; error_description: string }>('select cpu_count, error_description from nodes where id = $1', [node.id]);
      assert.deepEqual(row, { cpu_count: HOST.cpu.count, error_description: 'facts refused' }, 'the caller\'s own write stays, ours is gone');
    });

    test('lshw and lldp XML are stored for tags and queue a re-evaluation', async () => {
      await r.svc.db.query('delete from tag_evaluations');
      await ingest('20-lshw', LSHW);
      await ingest('30-lldp', Buffer.from('<?xml version="1.0" encoding="UTF-8"?>\n<lldp label="LLDP neighbors"/>\n'));
      const rows = await r.svc.db.query<{ kind: string }>('select kind from node_details where node_id = $1 order by kind', [node.id]);
      assert.deepEqual(rows.map((x) => x.kind), ['lldp', 'lshw']);
      assert.ok((await r.svc.db.query('select 1 from tag_evaluations where node_id = $1', [node.id])).length >= 1);
      const tag = await r.api('POST', 'tags/', [['name', 'firecracker'], ['definition', '//node[@class="system"]/@id = "vm"']]);
      assert.equal(tag.status, 200, tag.text);
    });

    test('50-storage-layout becomes the machine\'s custom layout; other scripts are only stored by the caller', async () => {
      const doc = { disks: [{ disk: 'vda', ptable: 'gpt', partitions: [{ offset: 1048576, size: 536870912, filesystem: { fstype: 'fat32', label: 'EFI' } }, { filesystem: { fstype: 'ext4', label: 'root' } }] }], raids: [], volume_groups: [] };
      await ingest('50-storage-layout', json(doc));
      const [row] = await r.svc.db.query<{ document: any; source: string }>('select document, source from custom_storage_layouts where node_id = $1', [node.id]);
      assert.equal(row.source, 'commissioning');
      assert.equal(row.document.disks[0].partitions[1].filesystem.label, 'root');
      const before = await snapshot();
      await ingest('40-dmidecode', Buffer.from('# dmidecode 3.4\n'));
      await ingest('smartctl-validate', Buffer.from('garbage'));
      assert.equal(await snapshot(), before);
    });
  });
}
