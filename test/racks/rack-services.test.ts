/**
 * The rack's serving side against a real region (in this process): the region's derived DHCP service
 * configures the DHCP server (a relayed DISCOVER on loopback gets an OFFER with the iPXE URL), iPXE and
 * PXELINUX configurations over HTTP and TFTP come from the region's boot decision, `/MAAS/` on the HTTP
 * port is forwarded to the region, and a port that is taken leaves that one service degraded.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RackServices } from '../../src/edges/rack/services.ts';
import { decideBoot } from '../../src/services/boot/decide.ts';
import { dhcpServiceForRack } from '../../src/services/racks/dhcp.ts';
import { Opt } from '../../src/edges/rack/dhcp/codes.ts';
import { craft, ipBytes, Peer, T } from '../dhcp/helpers/peer.ts';
import { tftpGet } from '../tftp/client.ts';
import { startTestRegion, type TestRegion } from '../helpers/region.ts';

describe('rack services driven by a region', () => {
  let r: TestRegion;
  let rack: RackServices;
  let peer: Peer;
  let dir: string;

  before(async () => {
    r = await startTestRegion('pglite');
    dir = await mkdtemp(join(tmpdir(), 'plinth-rack-'));
    const q = r.svc.db;
    // The rack node as registration leaves it; its address is on a relayed-to subnet so loopback can play the relay.
    const [node] = await q.query<{ id: number }>("insert into nodes (system_id, hostname, node_type, zone_id) values ('rack01', 'rack-one', 2, 1) returning id");
    const vlan = (await r.api('POST', 'fabrics/', [['name', 'prov']])).json().vlans[0].id as number;
    const subnet = (await r.api('POST', 'subnets/', [['cidr', '127.0.0.0/24'], ['vlan', String(vlan)], ['gateway_ip', '127.0.0.254']])).json().id as number;
    const [iface] = await q.query<{ id: number }>("insert into interfaces (node_id, name, mac_address, vlan_id) values ($1, 'lo', '02:00:00:00:00:01', $2) returning id", [node.id, vlan]);
    await q.query("insert into static_ip_addresses (ip, alloc_type, subnet_id, node_id, interface_id) values ('127.0.0.1', 1, $1, $2, $3)", [subnet, node.id, iface.id]);
    await r.api('POST', 'ipranges/', [['subnet', String(subnet)], ['type', 'dynamic'], ['start_ip', '127.0.0.100'], ['end_ip', '127.0.0.199']]);
    await r.api('PUT', `vlans/${vlan}/`, [['dhcp_on', 'true'], ['primary_rack', 'rack01']]);

    peer = await Peer.open('127.0.0.1');
    rack = new RackServices({
      dataDir: dir, host: '127.0.0.1', ports: { dhcp: 0, tftp: 0, http: 0 }, dhcpListen: { clientPort: peer.port, relayPort: peer.port },
      decide: (query) => decideBoot(r.svc, query), regionUrl: r.origin, bootloaders: { 'undionly.kpxe': '/usr/lib/ipxe/undionly.kpxe' },
    });
    await rack.start();
    const svc = await dhcpServiceForRack(r.svc, 'rack01');
    // On loopback the "relay" is the server's own subnet: mark it relayed so giaddr routing applies.
    rack.setDhcpService({ ...svc, vlans: svc.vlans.map((v) => ({ ...v, subnets: v.subnets.map((s) => ({ ...s, relayed: true })) })) });
  });
  after(async () => { await rack?.close(); await peer?.close(); await r?.close(); await rm(dir, { recursive: true, force: true }); });

  test('all three services run', () => {
    assert.deepEqual(Object.fromEntries(Object.entries(rack.status).map(([k, v]) => [k, v.status])), { dhcp: 'running', tftp: 'running', http: 'running' });
  });

  test('DHCP: a relayed iPXE DISCOVER gets an OFFER from the pool with the iPXE script URL', async () => {
    const pkt = craft({ type: T.DISCOVER, mac: '52:54:00:12:00:01', giaddr: '127.0.0.1', options: [[Opt.USER_CLASS, 'iPXE']] });
    await peer.sendPacket(pkt, rack.bound.dhcp!.port);
    const reply = await peer.reply(pkt.xid, 2000);
    assert.equal(reply.packet.options.get(Opt.MESSAGE_TYPE)?.[0], T.OFFER);
    const ip = reply.packet.yiaddr;
    assert.ok(/^127\.0\.0\.(1[0-9][0-9])$/.test(ip), ip);
    const file = reply.packet.options.get(Opt.BOOTFILE_NAME)?.toString() ?? String(reply.packet.file);
    assert.equal(file, 'http://127.0.0.1:5248/ipxe.cfg');
    assert.deepEqual([...ipBytes(ip)].length, 4);
  });

  test('HTTP: an unknown MAC gets the enlist script from the region, with kernel and metadata URLs on this rack', async () => {
    const port = rack.bound.http!.port;
    const res = await fetch(`http://127.0.0.1:${port}/ipxe.cfg-52:54:00:12:00:02?platform=pcbios`);
    assert.equal(res.status, 200);
    const text = await res.text();
    assert.match(text, /^#!ipxe/);
    assert.ok(text.includes(`http://127.0.0.1:${port}/images/ephemeral/amd64/bookworm/boot-kernel`), text);
    assert.ok(text.includes(`cloud-config-url=http://127.0.0.1:${port}/MAAS/metadata/latest/enlist-preseed/?op=get_enlist_preseed`), text);
  });

  test('HTTP: /MAAS/ is forwarded to the region (API version through the rack)', async () => {
    const res = await fetch(`http://127.0.0.1:${rack.bound.http!.port}/MAAS/api/2.0/version/`);
    assert.equal(res.status, 200);
    assert.ok(((await res.json()) as { capabilities: string[] }).capabilities.length > 0);
  });

  test('TFTP: the bootloader and a PXELINUX config decided by the region', async () => {
    const loader = await tftpGet({ port: rack.bound.tftp!.port, file: 'undionly.kpxe' });
    assert.ok(loader.data.length > 10_000);
    const cfg = await tftpGet({ port: rack.bound.tftp!.port, file: 'pxelinux.cfg/01-52-54-00-12-00-03' });
    assert.match(cfg.data.toString(), /boot-kernel/);
  });

  test('a taken port leaves only that service degraded, with the reason', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;
    const other = new RackServices({ dataDir: dir, host: '127.0.0.1', ports: { http: port }, enable: { dhcp: false, tftp: false }, decide: (query) => decideBoot(r.svc, query) });
    await other.start();
    assert.equal(other.status.http.status, 'degraded');
    assert.match(other.status.http.reason!, /port in use/);
    assert.equal(other.status.dhcp.status, 'off');
    await other.close();
    blocker.close();
  });
});
