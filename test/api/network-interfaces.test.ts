/**
 * A machine's interfaces through `nodes/{system_id}/interfaces/`: physical, bond, VLAN and bridge
 * interfaces, links in every mode, default gateways, and what the machine's JSON shows of them
 * (links, ip_addresses, default_gateways, VLAN fields) — on both stores.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { claimDeploymentAddresses, releaseAutoAddresses } from '../../src/services/network/links.ts';
import { BACKENDS } from '../helpers/backends.ts';
import { startTestRegion, type TestRegion } from '../helpers/region.ts';

for (const kind of BACKENDS) {
  describe(`machine interfaces API (${kind})`, () => {
    let r: TestRegion;
    let sid: string;
    let v4: number;
    let v6: number;
    let t100: number;
    let vlan100: number;
    const ids: Record<string, number> = {};
    const ok = async (method: string, path: string, fields: Array<[string, string]> = [], key?: string) => {
      const res = await r.api(method, path, fields, key);
      assert.ok(res.status === 200 || res.status === 204, `${method} ${path} ${JSON.stringify(fields)} → ${res.status} ${res.text}`);
      return res.status === 204 ? null : res.json();
    };
    const refused = async (path: string, fields: Array<[string, string]>, status: number, re: RegExp, field?: string, key?: string) => {
      const res = await r.api('POST', path, fields, key);
      assert.equal(res.status, status, `${path} ${JSON.stringify(fields)} → ${res.status} ${res.text}`);
      assert.match(field ? (res.json()[field] ?? []).join(' | ') : res.text, re, res.text);
    };
    const iface = (name: string) => `nodes/${sid}/interfaces/${ids[name]}/`;
    const link = (name: string, fields: Array<[string, string]>) => ok('POST', `${iface(name)}?op=link_subnet`, fields);
    const machine = () => ok('GET', `machines/${sid}/`);

    before(async () => {
      r = await startTestRegion(kind);
      const m = await ok('POST', 'machines/', [['architecture', 'amd64'], ['mac_addresses', '52:54:00:01:00:01'], ['mac_addresses', '52:54:00:01:00:02'], ['hostname', 'n1']]);
      sid = m.system_id;
      await r.svc.db.query('update nodes set status = 4 where system_id = $1', [sid]); // Ready
      v4 = (await ok('POST', 'subnets/', [['cidr', '10.20.0.0/24'], ['gateway_ip', '10.20.0.1']])).id;
      await ok('POST', 'ipranges/', [['subnet', String(v4)], ['type', 'reserved'], ['start_ip', '10.20.0.1'], ['end_ip', '10.20.0.9']]);
      v6 = (await ok('POST', 'subnets/', [['cidr', '2001:db8:20::/64'], ['gateway_ip', '2001:db8:20::1']])).id;
      vlan100 = (await ok('POST', 'fabrics/0/vlans/', [['vid', '100'], ['name', 'storage']])).id;
      t100 = (await ok('POST', 'subnets/', [['cidr', '10.21.0.0/24'], ['vlan', String(vlan100)], ['gateway_ip', '10.21.0.1']])).id;
    });
    after(async () => { await r.close(); });

    test('list and create_physical: VLAN objects in full, MAC checks, admin only', async () => {
      const list = await ok('GET', `nodes/${sid}/interfaces/`);
      assert.deepEqual(list.map((i: any) => [i.name, i.type, i.vlan?.id, i.vlan?.fabric, i.links.length]), [['eth0', 'physical', 5001, 'fabric-0', 0], ['eth1', 'physical', 5001, 'fabric-0', 0]]);
      for (const i of list) ids[i.name] = i.id;
      const eth2 = await ok('POST', `nodes/${sid}/interfaces/?op=create_physical`, [['mac_address', '52:54:00:01:00:03'], ['mtu', '9000']]);
      assert.deepEqual([eth2.name, eth2.vlan, eth2.effective_mtu, eth2.resource_uri], ['eth2', null, 9000, `/MAAS/api/2.0/nodes/${sid}/interfaces/${eth2.id}/`]);
      ids.eth2 = eth2.id;
      await refused(`nodes/${sid}/interfaces/?op=create_physical`, [['mac_address', '52:54:00:01:00:01']], 400, /already in use on n1 \(eth0\)/, 'mac_address');
      await refused(`nodes/${sid}/interfaces/?op=create_physical`, [['mac_address', 'zz:54']], 400, /not a valid MAC/, 'mac_address');
      await refused(`nodes/${sid}/interfaces/?op=create_physical`, [['mac_address', '52:54:00:01:00:09'], ['name', 'eth2']], 400, /already in use on n1/, 'name');
      await refused(`nodes/${sid}/interfaces/?op=create_physical`, [['mac_address', '52:54:00:01:00:09']], 403, /admin/, undefined, r.userKey);
      assert.equal((await r.api('GET', 'nodes/nosuch/interfaces/')).status, 404);
    });

    test('bond (mode, LACP, hash policy), VLAN interface on it, bridge on that', async () => {
      await refused(`nodes/${sid}/interfaces/?op=create_bond`, [['name', 'bond0'], ['parents', String(ids.eth0)], ['bond_mode', 'fastest']], 400, /fastest is not one of the available choices \(balance-rr, active-backup/, 'bond_mode');
      await refused(`nodes/${sid}/interfaces/?op=create_bond`, [['name', 'bond0'], ['parents', '999999']], 400, /not an interface of this node/, 'parents');
      const bond = await ok('POST', `nodes/${sid}/interfaces/?op=create_bond`, [
        ['name', 'bond0'], ['parents', String(ids.eth0)], ['parents', String(ids.eth1)], ['bond_mode', '802.3ad'],
        ['bond_lacp_rate', 'fast'], ['bond_xmit_hash_policy', 'layer3+4'], ['bond_miimon', '100'],
      ]);
      ids.bond0 = bond.id;
      assert.deepEqual([bond.type, bond.parents, bond.mac_address, bond.vlan.id], ['bond', ['eth0', 'eth1'], '52:54:00:01:00:01', 5001]);
      assert.deepEqual(bond.params, {
        bond_mode: '802.3ad', bond_miimon: 100, bond_downdelay: 0, bond_updelay: 0, bond_lacp_rate: 'fast',
        bond_xmit_hash_policy: 'layer3+4', bond_num_grat_arp: 1,
      });
      assert.deepEqual((await ok('GET', iface('eth0'))).children, ['bond0']);
      await refused(`nodes/${sid}/interfaces/?op=create_bond`, [['name', 'bond1'], ['parents', String(ids.eth1)]], 400, /eth1 is already a parent of bond0/, 'parents');
      await refused(`nodes/${sid}/interfaces/?op=create_vlan`, [['vlan', '5001'], ['parent', String(ids.bond0)]], 400, /tagged VLAN/, 'vlan');
      const vl = await ok('POST', `nodes/${sid}/interfaces/?op=create_vlan`, [['vlan', String(vlan100)], ['parent', String(ids.bond0)]]);
      ids['bond0.100'] = vl.id;
      assert.deepEqual([vl.name, vl.type, vl.vlan.vid, vl.vlan.name, vl.parents], ['bond0.100', 'vlan', 100, 'storage', ['bond0']]);
      await refused(`nodes/${sid}/interfaces/?op=create_vlan`, [['vlan', String(vlan100)], ['parent', String(ids.bond0)]], 400, /already puts bond0 on VLAN 100/, 'vlan');
      const br = await ok('POST', `nodes/${sid}/interfaces/?op=create_bridge`, [['parent', String(ids.eth2)], ['bridge_stp', 'true'], ['vlan', '5001']]);
      ids['br-eth2'] = br.id;
      assert.deepEqual([br.name, br.type, br.params, br.vlan.id], ['br-eth2', 'bridge', { bridge_type: 'standard', bridge_stp: true, bridge_fd: 15 }, 5001]);
      assert.equal((await ok('PUT', iface('bond0'), [['bond_mode', 'active-backup'], ['mtu', '9000']])).params.bond_mode, 'active-backup');
      const del = await r.api('DELETE', iface('bond0'));
      assert.equal(del.status, 400);
      assert.match(del.text, /parent of bond0\.100/);
    });

    test('link_subnet in every mode; the machine JSON shows links, ip_addresses and default_gateways', async () => {
      const auto = await link('bond0', [['mode', 'auto'], ['subnet', String(v4)]]);
      const autoLink = auto.links.at(-1);
      assert.deepEqual([autoLink.mode, autoLink.ip_address, autoLink.subnet.cidr], ['auto', undefined, '10.20.0.0/24']);
      const st = (await link('bond0', [['mode', 'STATIC'], ['subnet', String(v4)], ['ip_address', '10.20.0.50'], ['default_gateway', 'true']])).links.at(-1);
      assert.deepEqual([st.mode, st.ip_address], ['static', '10.20.0.50']);
      const picked = (await link('bond0', [['mode', 'STATIC'], ['subnet', '10.20.0.0/24']])).links.at(-1);
      assert.equal(picked.ip_address, '10.20.0.10', 'lowest free outside the reserved range');
      const six = (await link('bond0', [['mode', 'STATIC'], ['subnet', String(v6)]])).links.at(-1);
      assert.equal(six.ip_address, '2001:db8:20::1:0:0', 'a /64 keeps ::1–::ffff:ffff reserved');
      await refused(`${iface('bond0')}?op=link_subnet`, [['mode', 'STATIC'], ['subnet', String(v4)], ['ip_address', '10.20.0.5']], 400, /within the reserved range from 10\.20\.0\.1 to 10\.20\.0\.9/, 'ip_address');
      await refused(`${iface('bond0')}?op=link_subnet`, [['mode', 'STATIC'], ['subnet', String(v4)], ['ip_address', '10.20.0.50']], 409, /already in use/);
      await refused(`${iface('bond0')}?op=link_subnet`, [['mode', 'SOMETIMES'], ['subnet', String(v4)]], 400, /not one of the available choices/, 'mode');
      await refused(`${iface('bond0')}?op=link_subnet`, [['mode', 'AUTO']], 400, /required/, 'subnet');
      await refused(`${iface('eth0')}?op=link_subnet`, [['mode', 'DHCP']], 400, /eth0 is part of bond bond0; link bond0 instead/, '__all__');
      await refused(`${iface('bond0')}?op=link_subnet`, [['mode', 'DHCP'], ['subnet', String(v4)], ['default_gateway', 'true']], 400, /only AUTO and STATIC/, 'default_gateway');
      await refused(`${iface('bond0')}?op=link_subnet`, [['mode', 'LINK_UP']], 400, /already has 4 other link\(s\)/, 'mode');
      await refused(`${iface('bond0')}?op=link_subnet`, [['mode', 'STATIC'], ['subnet', String(t100)]], 400, /links on another VLAN/, 'subnet');
      assert.equal((await link('bond0.100', [['mode', 'DHCP'], ['subnet', String(t100)]])).links[0].mode, 'dhcp');
      assert.equal((await link('br-eth2', [['mode', 'LINK_UP']])).links[0].mode, 'link_up');
      const alice = await r.api('POST', `${iface('bond0')}?op=link_subnet`, [['mode', 'DHCP']], r.userKey);
      assert.equal(alice.status, 403, 'links need the owner or an admin');

      let m = await machine();
      const bond = m.interface_set.find((i: any) => i.name === 'bond0');
      assert.deepEqual(bond.links.map((l: any) => [l.mode, l.ip_address ?? null]), [['auto', null], ['static', '10.20.0.50'], ['static', '10.20.0.10'], ['static', '2001:db8:20::1:0:0']]);
      assert.deepEqual(m.ip_addresses, ['10.20.0.50', '10.20.0.10', '2001:db8:20::1:0:0']);
      assert.deepEqual(m.default_gateways, { ipv4: { gateway_ip: '10.20.0.1', link_id: st.id }, ipv6: { gateway_ip: '2001:db8:20::1', link_id: six.id } });
      const vlIface = m.interface_set.find((i: any) => i.name === 'bond0.100');
      assert.deepEqual([vlIface.vlan.vid, vlIface.vlan.space, vlIface.vlan.primary_rack, vlIface.vlan.dhcp_on, vlIface.links[0].subnet.cidr], [100, 'undefined', null, false, '10.21.0.0/24']);

      await ok('PUT', `subnets/${v4}/`, [['gateway_ip', '10.20.0.254']]);
      await ok('PUT', `vlans/${vlan100}/`, [['name', 'backend']]);
      await ok('POST', 'spaces/', [['name', 'san']]);
      await ok('PUT', `vlans/${vlan100}/`, [['space', 'san']]);
      m = await machine();
      assert.equal(m.default_gateways.ipv4.gateway_ip, '10.20.0.254', 'subnet edits reach cached machine JSON');
      assert.deepEqual([m.interface_set.find((i: any) => i.name === 'bond0.100').vlan.name, m.interface_set.find((i: any) => i.name === 'bond0.100').vlan.space], ['backend', 'san']);

      await ok('POST', `${iface('bond0')}?op=set_default_gateway`, [['link_id', String(picked.id)]]);
      assert.equal((await machine()).default_gateways.ipv4.link_id, picked.id);
      await refused(`${iface('br-eth2')}?op=set_default_gateway`, [], 400, /no usable gateways/, '__all__');
      await ok('POST', `${iface('bond0')}?op=unlink_subnet`, [['id', String(picked.id)]]);
      m = await machine();
      assert.equal(m.default_gateways.ipv4.link_id, autoLink.id, 'falls back to the first usable link');
      assert.deepEqual(m.ip_addresses, ['10.20.0.50', '2001:db8:20::1:0:0']);
      await refused(`${iface('bond0')}?op=unlink_subnet`, [['id', String(picked.id)]], 400, /has no link with id/, 'id');
      const listed = (await ok('GET', 'machines/')).find((x: any) => x.system_id === sid);
      assert.deepEqual(listed.ip_addresses, m.ip_addresses, 'bulk listing agrees');
    });

    test('deployment claims the lowest free address for AUTO links; release returns it', async () => {
      assert.deepEqual(await claimDeploymentAddresses(r.svc, sid), ['10.20.0.10']);
      const bond = (await machine()).interface_set.find((i: any) => i.name === 'bond0');
      assert.deepEqual(bond.links[0], { ...bond.links[0], mode: 'auto', ip_address: '10.20.0.10' });
      assert.deepEqual(await claimDeploymentAddresses(r.svc, sid), [], 'nothing left to claim');
      const ips = await ok('GET', `subnets/${v4}/?op=ip_addresses`);
      const entry = ips.find((x: any) => x.ip === '10.20.0.10');
      assert.deepEqual([entry.alloc_type, entry.node_summary.system_id, entry.node_summary.fqdn, entry.node_summary.via], [0, sid, 'n1.maas', 'bond0']);
      const implicit = (await ok('GET', 'dnsresources/?all=true')).find((x: any) => x.fqdn === 'n1.maas');
      assert.deepEqual([implicit.id, implicit.ip_addresses.map((a: any) => a.ip).sort()], [-1, ['10.20.0.10', '10.20.0.50', '2001:db8:20::1:0:0']]);
      assert.deepEqual(await ok('GET', 'dnsresources/'), [], 'implicit node records only with all=true');
      const all = await ok('GET', 'ipaddresses/?all=1');
      assert.deepEqual(all.find((x: any) => x.ip === '10.20.0.50').interface_set.map((i: any) => i.name), ['bond0']);
      const [{ id }] = await r.svc.db.query<{ id: number }>('select id from nodes where system_id = $1', [sid]);
      await r.svc.db.tx((q) => releaseAutoAddresses(q, { id }));
      assert.equal((await machine()).interface_set.find((i: any) => i.name === 'bond0').links[0].ip_address, undefined);
    });

    test('interface changes are refused outside editable machine states', async () => {
      await r.svc.db.query('update nodes set status = 6 where system_id = $1', [sid]); // Deployed
      await refused(`${iface('bond0')}?op=link_subnet`, [['mode', 'DHCP']], 409, /not New, Ready, Allocated, Broken or Failed testing \(n1 is Deployed\)/);
      await refused(`nodes/${sid}/interfaces/?op=create_physical`, [['mac_address', '52:54:00:01:00:09']], 409, /n1 is Deployed/);
      await r.svc.db.query('update nodes set status = 4 where system_id = $1', [sid]);
    });

    test('tags, disconnect, update of the VLAN, delete; deleting the machine frees its addresses', async () => {
      assert.deepEqual((await ok('POST', `${iface('br-eth2')}?op=add_tag`, [['tag', 'uplink']])).tags, ['uplink']);
      assert.deepEqual((await ok('POST', `${iface('br-eth2')}?op=remove_tag`, [['tag', 'uplink']])).tags, []);
      const d = await ok('POST', `${iface('br-eth2')}?op=disconnect`);
      assert.deepEqual([d.vlan, d.links], [null, []]);
      const moved = await ok('PUT', iface('bond0.100'), [['vlan', '5001']]).catch((e) => e);
      assert.ok(moved instanceof Error && /tagged VLAN of the same fabric/.test(moved.message), String(moved));
      const held = await r.api('DELETE', `subnets/${v6}/`);
      assert.equal(held.status, 409);
      assert.match(held.text, /still has 1 assigned address\(es\): 2001:db8:20::1:0:0 \(n1\)/);
      assert.equal((await r.api('DELETE', `subnets/${v6}/?force=true`)).status, 204);
      const m = await machine();
      assert.deepEqual([m.ip_addresses, m.default_gateways.ipv6.link_id], [['10.20.0.50'], null], 'force-deleting the subnet removed its links');
      assert.equal((await r.api('DELETE', iface('br-eth2'))).status, 204);
      assert.equal((await r.api('DELETE', iface('bond0.100'))).status, 204);
      assert.equal((await r.api('GET', iface('br-eth2'))).status, 404);
      assert.equal((await r.api('DELETE', `machines/${sid}/`)).status, 204);
      const [{ n }] = await r.svc.db.query<{ n: number }>('select count(*)::int as n from static_ip_addresses');
      assert.equal(n, 0);
      assert.deepEqual((await ok('GET', `subnets/${v4}/?op=statistics`)).num_unavailable, 10, 'only the reserved range and the gateway (.254) remain');
    });
  });
}
