/**
 * What the region tells racks and installers: the DHCP service a rack must run (from the network
 * model in the store), the boot decision for a network-booting MAC (by the machine's status), and a
 * deploying machine's install plan. The BMC is a test double (bmc-double.ts: we have no hardware).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { dhcpServiceForRack } from '../../src/services/racks/dhcp.ts';
import { decideBoot } from '../../src/services/boot/decide.ts';
import { buildInstallPlan } from '../../src/services/deploy/install-plan.ts';
import { machineReported } from '../../src/services/lifecycle/reported.ts';
import { dhcpConfigFromService } from '../../src/edges/rack/dhcp-service-config.ts';
import { startBmcDouble, type BmcDouble } from '../lifecycle/bmc-double.ts';
import { newMachine, startLifecycleRegion, type LifecycleRegion } from '../lifecycle/helpers.ts';

describe('region services for racks (pglite)', () => {
  let r: LifecycleRegion;
  const bmcs: BmcDouble[] = [];
  let vlanId: number;
  let subnetId: number;

  before(async () => {
    r = await startLifecycleRegion('pglite');
    const q = r.svc.db;
    // A rack as registration leaves it: a rack node with an interface on the untagged VLAN of fabric-0 and its address.
    const [rack] = await q.query<{ id: number }>(
      "insert into nodes (system_id, hostname, node_type, zone_id) values ('rack01', 'rack-one', 2, 1) returning id");
    const fabric = (await r.api('POST', 'fabrics/', [['name', 'prov']])).json();
    vlanId = fabric.vlans[0].id;
    const subnet = (await r.api('POST', 'subnets/', [['cidr', '10.213.0.0/24'], ['vlan', String(vlanId)], ['gateway_ip', '10.213.0.1']])).json();
    subnetId = subnet.id;
    const [iface] = await q.query<{ id: number }>(
      "insert into interfaces (node_id, name, mac_address, vlan_id) values ($1, 'lab-rp', '02:00:00:00:00:01', $2) returning id", [rack.id, vlanId]);
    await q.query("insert into static_ip_addresses (ip, alloc_type, subnet_id, node_id, interface_id) values ('10.213.0.1', 1, $1, $2, $3)", [subnetId, rack.id, iface.id]);
    { const x = await r.api('POST', 'ipranges/', [['subnet', String(subnetId)], ['type', 'dynamic'], ['start_ip', '10.213.0.200'], ['end_ip', '10.213.0.254']]); assert.equal(x.status, 200, x.text); }
    { const x = await r.api('POST', 'ipranges/', [['subnet', String(subnetId)], ['type', 'reserved'], ['start_ip', '10.213.0.1'], ['end_ip', '10.213.0.10']]); assert.equal(x.status, 200, x.text); }
    const on = await r.api('PUT', `vlans/${vlanId}/`, [['dhcp_on', 'true'], ['primary_rack', 'rack01']]);
    assert.equal(on.status, 200, on.text);
  });
  after(async () => { await r?.close(); await Promise.all(bmcs.map((b) => b.stop())); });

  test('the rack serves its VLAN: pool, boot rules, next-server; the DHCP server config follows', async () => {
    const svc = await dhcpServiceForRack(r.svc, 'rack01');
    assert.equal(svc.vlans.length, 1);
    const [v] = svc.vlans;
    assert.equal(v.role, 'primary');
    assert.deepEqual(v.interfaces, ['lab-rp']);
    const [s] = v.subnets;
    assert.equal(s.cidr, '10.213.0.0/24');
    assert.deepEqual(s.pools, [{ start: '10.213.0.200', end: '10.213.0.254' }]);
    assert.equal(s.next_server, '10.213.0.1');
    assert.equal(s.router, '10.213.0.1');
    const config = dhcpConfigFromService(svc);
    assert.equal(config.subnets.length, 1);
    assert.equal(config.subnets[0].serverAddress, '10.213.0.1');
    assert.equal(config.subnets[0].boot?.ipxeScriptUrl, 'http://10.213.0.1:5248/ipxe.cfg');
    assert.ok(config.subnets[0].boot?.files?.some((f) => f.arch === 0 && f.file === 'undionly.kpxe'));
    // A secondary stands by (answers only renewals of its own leases) until the primary is gone.
    const asSecondary = { ...svc, vlans: svc.vlans.map((x) => ({ ...x, role: 'secondary' as const })) };
    assert.equal(dhcpConfigFromService(asSecondary).subnets[0].standby, true);
    assert.equal(dhcpConfigFromService(asSecondary, { primaryGone: new Set([vlanId]) }).subnets[0].standby, false);
    await assert.rejects(dhcpServiceForRack(r.svc, 'nope'), /No RackController matches the given query/);
  });

  test('DHCP off: the rack serves nothing', async () => {
    await r.api('PUT', `vlans/${vlanId}/`, [['dhcp_on', 'false']]);
    assert.equal((await dhcpServiceForRack(r.svc, 'rack01')).vlans.length, 0);
    await r.api('PUT', `vlans/${vlanId}/`, [['dhcp_on', 'true'], ['primary_rack', 'rack01']]);
  });

  test('boot decisions follow the status: unknown → enlist; commissioning → ephemeral + event; Ready → poweroff', async () => {
    const unknown = await decideBoot(r.svc, { mac: '52:54:00:ff:ff:01', firmware: 'bios', rackHost: '10.213.0.1' });
    assert.equal(unknown.purpose, 'enlist');
    assert.ok('preseedUrl' in unknown && unknown.preseedUrl === 'http://10.213.0.1:5248/MAAS/metadata/latest/enlist-preseed/?op=get_enlist_preseed');
    assert.ok('image' in unknown && unknown.image.squashfs === 'ephemeral/amd64/bookworm/squashfs');

    const b = await startBmcDouble(); bmcs.push(b);
    const fields = newMachine('boot-1', b.fields());
    const mac = fields.find(([k]) => k === 'mac_addresses')![1];
    const sid = r.sid(await r.api('POST', 'machines/', fields));
    await r.runner.drain();
    assert.equal((await r.status(sid)).status, 1, 'commissioning');
    const d = await decideBoot(r.svc, { mac: mac.toUpperCase(), firmware: 'uefi', rackHost: '10.213.0.1' });
    assert.equal(d.purpose, 'commissioning');
    assert.equal(d.hostname, 'boot-1');
    assert.ok('preseedUrl' in d && d.preseedUrl.endsWith(`/latest/by-id/${sid}/?op=get_preseed`));
    const events = (await r.api('GET', `events/?op=query&id=${sid}`)).json().events.map((e: { type: string }) => e.type);
    assert.ok(events.includes('PXE request'), events.join(', '));

    await machineReported(r.svc, sid, { kind: 'commissioning_done' });
    await r.runner.drain();
    assert.equal((await decideBoot(r.svc, { mac, firmware: 'bios', rackHost: '10.213.0.1' })).purpose, 'poweroff');
  });

  test('a deploying machine: xinstall, its install plan, then local boot after netboot_off', async () => {
    const b = await startBmcDouble(); bmcs.push(b);
    const fields = newMachine('deploy-1', b.fields());
    const mac = fields.find(([k]) => k === 'mac_addresses')![1];
    const sid = r.sid(await r.api('POST', 'machines/', fields));
    await r.runner.drain();
    await machineReported(r.svc, sid, { kind: 'commissioning_done' });
    await r.runner.drain();
    const disk = await r.api('POST', `nodes/${sid}/blockdevices/`, [['name', 'vda'], ['model', 'QEMU'], ['serial', 'disk-a'], ['size', String(8 * 1024 ** 3)], ['block_size', '512']]);
    assert.equal(disk.status, 200, disk.text);
    const layout = await r.api('POST', `machines/${sid}/?op=set_storage_layout`, [['storage_layout', 'flat']]);
    assert.equal(layout.status, 200, layout.text);
    await r.api('POST', 'account/prefs/sshkeys/', [['key', 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGk1kVbYFbK0Ol7cVnUvG0Gm2SPAmsv2Eoq3GOIE1l2P alice@example']], r.userKey);
    const dep = await r.api('POST', `machines/${sid}/?op=deploy`, [['osystem', 'debian'], ['distro_series', 'bookworm'], ['user_data', Buffer.from('#!/bin/sh\necho hi\n').toString('base64')]], r.userKey);
    assert.equal(dep.status, 200, dep.text);
    await r.runner.drain();
    assert.equal((await decideBoot(r.svc, { mac, firmware: 'bios', rackHost: '10.213.0.1' })).purpose, 'xinstall');

    const plan = await buildInstallPlan(r.svc, sid, 'http://10.213.0.1:5248/');
    assert.equal(plan.hostname, 'deploy-1');
    assert.equal(plan.image.url, 'http://10.213.0.1:5248/images/debian/amd64/bookworm/root-tgz');
    assert.ok(plan.storage.some((s) => s.name.startsWith('partition')), JSON.stringify(plan.storage.map((s) => s.name)));
    assert.ok(plan.storage.some((s) => s.name.startsWith('mkfs')));
    assert.ok(plan.mounts.some((m) => m.target === '/target'), JSON.stringify(plan.mounts));
    assert.ok(plan.fstab.some((l) => /\t\/\text4\t/.test(l)), plan.fstab.join('\n'));
    assert.equal(plan.boot_device, '/dev/vda');
    assert.deepEqual(plan.cloud_init.ssh_keys.length, 1);
    assert.equal(Buffer.from(plan.cloud_init.user_data_b64!, 'base64').toString(), '#!/bin/sh\necho hi\n', 'stored decoded; the plan carries it base64');
    assert.match(plan.network.netplan, /network:/);
    assert.equal(plan.cloud_init.metadata_url, 'http://10.213.0.1:5248/MAAS/metadata/');

    await machineReported(r.svc, sid, { kind: 'installed' });
    assert.equal((await decideBoot(r.svc, { mac, firmware: 'bios', rackHost: '10.213.0.1' })).purpose, 'local');
    await machineReported(r.svc, sid, { kind: 'deployed' });
    await r.runner.drain();
    await assert.rejects(buildInstallPlan(r.svc, sid, 'http://x/'), /is not deploying \(status is Deployed\)/);
  });
});
