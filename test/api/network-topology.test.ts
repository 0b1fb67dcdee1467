/**
 * Fabrics, VLANs (both URL forms), spaces, subnets (MAAS specifiers), IP ranges, DHCP switching,
 * static routes, domains and DNS resources through the API, on both stores.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { BACKENDS } from '../helpers/backends.ts';
import { startTestRegion, type TestRegion } from '../helpers/region.ts';

const U = '/MAAS/api/2.0';

for (const kind of BACKENDS) {
  describe(`network topology API (${kind})`, () => {
    let r: TestRegion;
    let vlan100: number;
    let s1: number;
    let s2: number;
    const ok = async (method: string, path: string, fields: Array<[string, string]> = [], key?: string) => {
      const res = await r.api(method, path, fields, key);
      assert.ok(res.status === 200 || res.status === 204, `${method} ${path} → ${res.status} ${res.text}`);
      return res.status === 204 ? null : res.json();
    };
    /** A refusal: status and a message matching `re` (in the field's messages for JSON errors). */
    const refused = async (method: string, path: string, fields: Array<[string, string]>, status: number, re: RegExp, field?: string, key?: string) => {
      const res = await r.api(method, path, fields, key);
      assert.equal(res.status, status, `${method} ${path} ${JSON.stringify(fields)} → ${res.status} ${res.text}`);
      const text = field ? (res.json()[field] ?? []).join(' | ') : res.text;
      assert.match(text, re, res.text);
    };
    before(async () => { r = await startTestRegion(kind); });
    after(async () => { await r.close(); });

    test('fabrics: fabric-0 with its untagged VLAN; new fabrics are named fabric-<id> and get one', async () => {
      assert.deepEqual(await ok('GET', 'fabrics/'), [{
        id: 0, name: 'fabric-0', class_type: null, resource_uri: `${U}/fabrics/0/`,
        vlans: [{
          vid: 0, mtu: 1500, dhcp_on: false, external_dhcp: null, relay_vlan: null, fabric: 'fabric-0', space: 'undefined',
          primary_rack: null, secondary_rack: null, name: 'untagged', id: 5001, fabric_id: 0, resource_uri: `${U}/vlans/5001/`,
        }],
      }]);
      const f1 = await ok('POST', 'fabrics/');
      assert.equal(f1.name, `fabric-${f1.id}`);
      assert.deepEqual(f1.vlans.map((v: any) => [v.vid, v.name, v.fabric]), [[0, 'untagged', f1.name]]);
      const f2 = await ok('POST', 'fabrics/', [['name', 'fab-b'], ['class_type', '10g']]);
      assert.equal(f2.class_type, '10g');
      assert.equal((await ok('PUT', `fabrics/${f1.id}/`, [['name', 'fab-a']])).name, 'fab-a');
      assert.equal((await ok('GET', 'fabrics/fab-a/')).id, f1.id, 'by name');
      await refused('POST', 'fabrics/', [['name', 'fab-a']], 400, /already exists/, 'name');
      await refused('POST', 'fabrics/', [['name', 'bad name']], 400, /not a valid name/, 'name');
      await refused('POST', 'fabrics/', [['name', 'x']], 403, /admin/, undefined, r.userKey);
      await refused('DELETE', 'fabrics/0/', [], 400, /default fabric/);
      assert.equal((await r.api('DELETE', `fabrics/${f2.id}/`)).status, 204);
      assert.equal((await r.api('GET', `fabrics/${f2.id}/`)).status, 404);
    });

    test('VLANs: fabrics/{f}/vlans/{vid}/ and vlans/{id}/ are one resource; vid and MTU checked', async () => {
      const v = await ok('POST', 'fabrics/0/vlans/', [['vid', '100'], ['name', 'prod'], ['mtu', '9000']]);
      vlan100 = v.id;
      assert.deepEqual([v.vid, v.name, v.mtu, v.fabric, v.resource_uri], [100, 'prod', 9000, 'fabric-0', `${U}/vlans/${v.id}/`]);
      assert.deepEqual(await ok('GET', 'fabrics/0/vlans/100/'), await ok('GET', `vlans/${v.id}/`));
      assert.deepEqual((await ok('GET', 'fabrics/0/vlans/')).map((x: any) => x.vid), [0, 100]);
      await refused('POST', 'fabrics/0/vlans/', [['vid', '100']], 400, /already exists/, 'vid');
      await refused('POST', 'fabrics/0/vlans/', [['vid', '4095']], 400, /between 0 and 4094/, 'vid');
      await refused('POST', 'fabrics/0/vlans/', [['vid', '7'], ['mtu', '100']], 400, /greater than or equal to 552/, 'mtu');
      await refused('POST', 'fabrics/0/vlans/', [], 400, /required/, 'vid');
      const sp = await ok('POST', 'spaces/', [['name', 'dmz']]);
      assert.equal((await ok('PUT', 'fabrics/0/vlans/100/', [['space', 'dmz']])).space, 'dmz');
      assert.deepEqual((await ok('GET', 'spaces/dmz/')).vlans.map((x: any) => x.id), [v.id]);
      assert.equal((await ok('GET', `spaces/${sp.id}/`)).name, 'dmz');
      assert.deepEqual((await ok('GET', 'spaces/-1/')).name, 'undefined');
      await refused('PUT', `vlans/${v.id}/`, [['space', 'nowhere']], 400, /does not exist/, 'space');
      await refused('DELETE', 'vlans/5001/', [], 400, /untagged/);
      await refused('GET', 'fabrics/0/vlans/999/', [], 404, /No VLAN matches/);
      const tmp = await ok('POST', 'fabrics/0/vlans/', [['vid', '7']]);
      assert.equal(tmp.name, '7', 'a VLAN without a name is called by its vid');
      assert.equal((await r.api('DELETE', 'fabrics/0/vlans/7/')).status, 204);
    });

    test('subnets: defaults, canonical CIDR, overlap refused, MAAS specifiers', async () => {
      const a = await ok('POST', 'subnets/', [['cidr', '10.1.20.0/24'], ['gateway_ip', '10.1.20.1'], ['dns_servers', '10.1.20.2 10.1.20.3']]);
      s1 = a.id;
      assert.deepEqual(
        [a.name, a.cidr, a.vlan.id, a.space, a.gateway_ip, a.dns_servers, a.managed, a.rdns_mode, a.allow_dns, a.resource_uri],
        ['10.1.20.0/24', '10.1.20.0/24', 5001, 'undefined', '10.1.20.1', ['10.1.20.2', '10.1.20.3'], true, 2, true, `${U}/subnets/${a.id}/`]);
      await refused('POST', 'subnets/', [['cidr', '10.1.20.5/24']], 400, /host bits set; did you mean 10\.1\.20\.0\/24/, 'cidr');
      await refused('POST', 'subnets/', [['cidr', '10.1.0.0/16']], 400, /would overlap with existing subnet 10\.1\.20\.0\/24/, 'cidr');
      await refused('POST', 'subnets/', [['cidr', '10.3.0.0/24'], ['gateway_ip', '10.4.0.1']], 400, /within CIDR/, 'gateway_ip');
      await refused('POST', 'subnets/', [['cidr', '10.3.0.0/24'], ['vlan', '424242']], 400, /does not exist/, 'vlan');
      const b = await ok('POST', 'subnets/', [['cidr', '10.2.0.0/24'], ['fabric', '0'], ['vid', '100'], ['name', 'prod-net']]);
      s2 = b.id;
      assert.deepEqual([b.vlan.id, b.space], [vlan100, 'dmz']);
      const v6 = await ok('POST', 'subnets/', [['cidr', '2001:DB8:0:1::/64'], ['vlan', String(vlan100)]]);
      assert.equal(v6.cidr, '2001:db8:0:1::/64');
      const cases: Array<[string, number]> = [
        [String(s1), s1], ['10.1.20.0/24', s1], ['cidr:10.1.20.0/24', s1], ['name:10.1.20.0/24', s1], ['ip:10.1.20.77', s1],
        ['vlan:5001', s1], ['vid:0', s1], ['prod-net', s2], ['name:prod-net', s2], [`id:${s2}`, s2], ['2001:db8:0:1::/64', v6.id],
        ['ip:2001:db8:0:1::99', v6.id],
      ];
      for (const [spec, id] of cases) assert.equal((await ok('GET', `subnets/${spec}/`)).id, id, spec);
      assert.equal((await ok('GET', 'subnets/10.2.0.0/24/?op=statistics')).total_addresses, 254, 'CIDR path form with an op');
      await refused('GET', 'subnets/10.9.9.0/24/', [], 404, /^No Subnet matches the given query\.$/);
      await refused('GET', 'subnets/space:dmz/', [], 400, /matches 2 Subnet/);
      assert.equal((await ok('PUT', `subnets/${s2}/`, [['description', 'production']])).description, 'production');
      assert.equal((await r.api('DELETE', `subnets/${v6.id}/`)).status, 204);
      assert.equal((await ok('GET', 'subnets/')).length, 2);
    });

    test('IP ranges: overlapping, outside and gateway/DNS-covering ranges refused with the reason', async () => {
      const base: Array<[string, string]> = [['subnet', String(s1)]];
      const range = (type: string, start: string, end: string): Array<[string, string]> => [...base, ['type', type], ['start_ip', start], ['end_ip', end]];
      await refused('POST', 'ipranges/', range('dynamic', '10.1.20.1', '10.1.20.20'), 400, /conflicts with the subnet's gateway 10\.1\.20\.1/, 'start_ip');
      await refused('POST', 'ipranges/', range('dynamic', '10.1.20.3', '10.1.20.20'), 400, /DNS server 10\.1\.20\.3/, 'start_ip');
      await refused('POST', 'ipranges/', range('reserved', '10.1.21.1', '10.1.21.5'), 400, /^IP addresses must be within subnet: 10\.1\.20\.0\/24\.$/, 'start_ip');
      await refused('POST', 'ipranges/', range('reserved', '10.1.20.10', '10.1.20.1'), 400, /End IP address must not be less than Start IP address/, 'end_ip');
      await refused('POST', 'ipranges/', range('sometimes', '10.1.20.1', '10.1.20.2'), 400, /"dynamic" or "reserved"/, 'type');
      const res = await ok('POST', 'ipranges/', [...range('reserved', '10.1.20.1', '10.1.20.10'), ['comment', 'infra']]);
      assert.deepEqual([res.type, res.start_ip, res.end_ip, res.comment, res.user.username, res.subnet.id], ['reserved', '10.1.20.1', '10.1.20.10', 'infra', 'admin', s1]);
      await refused('POST', 'ipranges/', range('reserved', '10.1.20.5', '10.1.20.15'), 400, /conflicts with an existing reserved range: 10\.1\.20\.1-10\.1\.20\.10/, 'start_ip');
      const dyn = await ok('POST', 'ipranges/', range('dynamic', '10.1.20.200', '10.1.20.254'));
      await refused('POST', 'ipranges/', range('dynamic', '10.1.20.100', '10.1.20.120'), 403, /administrators/, undefined, r.userKey);
      const mine = await ok('POST', 'ipranges/', range('reserved', '10.1.20.100', '10.1.20.120'), r.userKey);
      assert.equal(mine.user.username, 'alice');
      await refused('DELETE', `ipranges/${res.id}/`, [], 403, /Only the user who reserved/, undefined, r.userKey);
      assert.equal((await ok('PUT', `ipranges/${mine.id}/`, [['end_ip', '10.1.20.110']], r.userKey)).end_ip, '10.1.20.110');
      assert.equal((await r.api('DELETE', `ipranges/${mine.id}/`, [], r.userKey)).status, 204);
      await refused('PUT', `subnets/${s1}/`, [['gateway_ip', '10.1.20.201']], 400, /inside the dynamic range 10\.1\.20\.200-10\.1\.20\.254/, 'gateway_ip');
      await refused('PUT', `subnets/${s1}/`, [['managed', 'false']], 400, /cannot be unmanaged while it has dynamic range/, 'managed');
      assert.deepEqual((await ok('GET', 'ipranges/')).map((x: any) => x.id), [res.id, dyn.id]);
      await refused('PUT', `subnets/${s1}/`, [['cidr', '10.1.20.0/25']], 400, /would leave dynamic range 10\.1\.20\.200-10\.1\.20\.254 outside the subnet/, 'cidr');
    });

    test('DHCP on a VLAN needs a primary rack and a dynamic range; the error says which is missing', async () => {
      const put = (fields: Array<[string, string]>) => r.api('PUT', `vlans/${vlan100}/`, fields);
      let res = await put([['dhcp_on', 'true']]);
      assert.equal(res.status, 400);
      const msgs = res.json().dhcp_on.join(' | ');
      assert.match(msgs, /primary rack controller is set; VLAN 100 on fabric-0 has none\. Set primary_rack\./);
      assert.match(msgs, /dynamic IP range is defined: no managed subnet of VLAN 100 on fabric-0 \(10\.2\.0\.0\/24\) has one; add a dynamic range/);
      await refused('PUT', `vlans/${vlan100}/`, [['primary_rack', 'nosuch']], 400, /No rack controller has system_id 'nosuch'/, 'primary_rack');
      const machine = await ok('POST', 'machines/', [['architecture', 'amd64'], ['mac_addresses', '52:54:00:0e:00:01']]);
      await refused('PUT', `vlans/${vlan100}/`, [['primary_rack', machine.system_id]], 400, /is not a rack controller \(node_type 0\)/, 'primary_rack');
      await r.svc.db.query("insert into nodes (system_id, hostname, node_type, zone_id) values ('rack01', 'rack-1', 2, (select id from zones where name = 'default'))");
      await r.svc.db.query("insert into nodes (system_id, hostname, node_type, zone_id) values ('rack02', 'rack-2', 4, (select id from zones where name = 'default'))");
      res = await put([['dhcp_on', 'true'], ['primary_rack', 'rack01']]);
      assert.equal(res.status, 400);
      assert.deepEqual(Object.keys(res.json()), ['dhcp_on'], 'only the range is missing now');
      assert.equal((await ok('GET', `vlans/${vlan100}/`)).dhcp_on, false, 'nothing written');
      const dyn = await ok('POST', 'ipranges/', [['subnet', String(s2)], ['type', 'dynamic'], ['start_ip', '10.2.0.100'], ['end_ip', '10.2.0.199']]);
      const v = await ok('PUT', `vlans/${vlan100}/`, [['dhcp_on', 'true'], ['primary_rack', 'rack01'], ['secondary_rack', 'rack02']]);
      assert.deepEqual([v.dhcp_on, v.primary_rack, v.secondary_rack], [true, 'rack01', 'rack02']);
      await refused('DELETE', `ipranges/${dyn.id}/`, [], 409, /DHCP is enabled on VLAN 100 of fabric-0.*last dynamic range/);
      await refused('DELETE', `subnets/${s2}/`, [], 409, /DHCP is enabled on VLAN 100/);
      await refused('PUT', `vlans/${vlan100}/`, [['primary_rack', '']], 400, /primary rack controller is set/, 'dhcp_on');
      await refused('PUT', `vlans/${vlan100}/`, [['secondary_rack', 'rack01']], 400, /must be different/, 'secondary_rack');
      const relayed = await ok('POST', 'fabrics/0/vlans/', [['vid', '200']]);
      const rv = await ok('PUT', `vlans/${relayed.id}/`, [['relay_vlan', String(vlan100)]]);
      assert.deepEqual([rv.relay_vlan.id, rv.relay_vlan.dhcp_on, rv.relay_vlan.relay_vlan], [vlan100, true, null]);
      await refused('PUT', `vlans/${relayed.id}/`, [['dhcp_on', 'true'], ['primary_rack', 'rack02']], 400, /'relay_vlan' cannot be set when dhcp is on/, 'relay_vlan');
    });

    test('static routes: gateway inside the source subnet, distinct subnets, no duplicates; the gateway leaves IPAM', async () => {
      const route = await ok('POST', 'static-routes/', [['source', String(s1)], ['destination', String(s2)], ['gateway_ip', '10.1.20.30'], ['metric', '5']]);
      assert.deepEqual([route.source.id, route.destination.id, route.gateway_ip, route.metric, route.resource_uri], [s1, s2, '10.1.20.30', 5, `${U}/static-routes/${route.id}/`]);
      await refused('POST', 'static-routes/', [['source', String(s1)], ['destination', String(s2)], ['gateway_ip', '10.1.20.30']], 400, /already exists/, '__all__');
      await refused('POST', 'static-routes/', [['source', String(s1)], ['destination', String(s2)], ['gateway_ip', '10.2.0.1']], 400, /must be within the source subnet 10\.1\.20\.0\/24/, 'gateway_ip');
      await refused('POST', 'static-routes/', [['source', String(s1)], ['destination', String(s1)], ['gateway_ip', '10.1.20.31']], 400, /cannot be the same/, 'destination');
      await refused('POST', 'ipaddresses/?op=reserve', [['ip', '10.1.20.30']], 400, /gateway of a static route/, 'ip');
      assert.equal((await ok('PUT', `static-routes/${route.id}/`, [['metric', '10']])).metric, 10);
      assert.equal((await ok('GET', 'static-routes/')).length, 1);
      assert.equal((await r.api('DELETE', `static-routes/${route.id}/`)).status, 204);
    });

    test('domains and DNS resources: fqdn or name+domain, TTL, space-separated addresses shared with IPAM', async () => {
      assert.deepEqual((await ok('GET', 'domains/'))[0],
        { authoritative: true, ttl: null, resource_record_count: 0, name: 'maas', id: 0, is_default: true, resource_uri: `${U}/domains/0/` });
      const d = await ok('POST', 'domains/', [['name', 'example.com'], ['ttl', '300']]);
      await refused('POST', 'domains/', [['name', 'bad_domain!']], 400, /not a valid domain name/, 'name');
      const www = await ok('POST', 'dnsresources/', [['fqdn', 'www.example.com'], ['ip_addresses', '10.1.20.50 10.1.20.51'], ['address_ttl', '60']]);
      assert.deepEqual([www.fqdn, www.address_ttl, www.ip_addresses.map((a: any) => a.ip), www.resource_uri],
        ['www.example.com', 60, ['10.1.20.50', '10.1.20.51'], `${U}/dnsresources/${www.id}/`]);
      assert.equal(www.ip_addresses[0].alloc_type_name, 'User reserved');
      await refused('POST', 'dnsresources/', [['fqdn', 'www.example.com']], 400, /already exists/, 'name');
      await refused('POST', 'dnsresources/', [['fqdn', 'x.nosuch.org']], 400, /Domain nosuch\.org does not exist/, 'fqdn');
      await refused('POST', 'dnsresources/', [['name', 'y'], ['domain', 'example.com'], ['ip_addresses', '10.1.20.300']], 400, /not a valid IP address/, 'ip_addresses');
      const api = await ok('POST', 'dnsresources/', [['name', 'api'], ['domain', String(d.id)], ['ip_addresses', '10.1.20.50']]);
      assert.equal(api.fqdn, 'api.example.com');
      assert.deepEqual((await ok('GET', 'dnsresources/?fqdn=www.example.com')).map((x: any) => x.id), [www.id]);
      assert.deepEqual((await ok('GET', 'dnsresources/?domain=example.com')).map((x: any) => x.id), [www.id, api.id]);
      assert.deepEqual(await ok('GET', 'dnsresources/?rrtype=AAAA'), []);
      assert.equal((await ok('GET', `domains/${d.id}/`)).resource_record_count, 3);
      await refused('POST', 'ipaddresses/?op=reserve', [['ip', '10.1.20.51']], 409, /already in use/);
      const ips = await ok('GET', `subnets/${s1}/?op=ip_addresses`);
      assert.deepEqual(ips.map((x: any) => [x.ip, x.dns_records.map((n: any) => `${n.name}.${n.domain}`)]),
        [['10.1.20.50', ['www.example.com', 'api.example.com']], ['10.1.20.51', ['www.example.com']]]);
      const upd = await ok('PUT', `dnsresources/${www.id}/`, [['ip_addresses', '10.1.20.52']]);
      assert.deepEqual(upd.ip_addresses.map((a: any) => a.ip), ['10.1.20.52']);
      assert.deepEqual((await ok('GET', `subnets/${s1}/?op=ip_addresses`)).map((x: any) => x.ip), ['10.1.20.50', '10.1.20.52'], '.51 freed, .50 still named');
      await refused('DELETE', `domains/${d.id}/`, [], 409, /2 DNS resource/);
      await refused('DELETE', 'domains/0/', [], 400, /default domain/);
      assert.equal((await r.api('DELETE', `dnsresources/${www.id}/`)).status, 204);
      assert.equal((await r.api('DELETE', `dnsresources/${api.id}/`)).status, 204);
      assert.deepEqual(await ok('GET', `subnets/${s1}/?op=ip_addresses`), [], 'addresses created for names go with them');
      const web = await ok('POST', 'ipaddresses/?op=reserve', [['ip', '10.1.20.60'], ['hostname', 'web1'], ['mac', '52:54:00:AB:00:01']]);
      assert.equal(web.ip, '10.1.20.60');
      assert.deepEqual((await ok('GET', 'dnsresources/?name=web1')).map((x: any) => [x.fqdn, x.ip_addresses.map((a: any) => a.ip)]), [['web1.maas', ['10.1.20.60']]]);
      await refused('POST', 'ipaddresses/?op=reserve', [['ip', '10.1.20.61'], ['mac', 'nope']], 400, /not a valid MAC/, 'mac');
      assert.equal((await r.api('POST', 'ipaddresses/?op=release', [['ip', '10.1.20.60']])).status, 204);
      assert.deepEqual((await ok('GET', 'dnsresources/?name=web1'))[0].ip_addresses, [], 'the name stays, the address is released');
      assert.equal((await ok('POST', `domains/${d.id}/?op=set_default`)).is_default, true);
      assert.equal((await ok('GET', 'domains/0/')).is_default, false);
      await ok('POST', 'domains/maas/?op=set_default');
      assert.equal((await r.api('DELETE', 'domains/example.com/')).status, 204);
    });
  });
}
