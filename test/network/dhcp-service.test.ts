import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { bootRules } from '../../src/domain/network/dhcp-boot.ts';
import { deriveDhcpServices, type DhcpServiceInput } from '../../src/domain/network/dhcp-service.ts';
import { parseIp } from '../../src/domain/network/ip.ts';
import { AllocType } from '../../src/domain/network/types.ts';
import { fabric, range, subnet, vlan } from './fixtures.ts';

const untagged = vlan({ id: 5001, dhcp_on: true, primary_rack: 'rack01', secondary_rack: 'rack02' });
const dhcpOff = vlan({ id: 5002, vid: 100, name: 'storage' });
const relayed = vlan({ id: 5003, vid: 200, name: 'remote', relay_vlan_id: 5001, mtu: 1400 });
const rack2Only = vlan({ id: 5004, vid: 300, name: 'lab', dhcp_on: true, primary_rack: 'rack02' });

const input: DhcpServiceInput = {
  fabrics: [fabric()],
  vlans: [untagged, dhcpOff, relayed, rack2Only],
  subnets: [
    subnet({ id: 1, cidr: '10.1.20.0/24', vlan_id: 5001, gateway_ip: '10.1.20.1', dns_servers: ['10.1.20.3'] }),
    subnet({ id: 2, cidr: '2001:db8:20::/64', vlan_id: 5001 }),
    subnet({ id: 3, cidr: '10.1.100.0/24', vlan_id: 5002, gateway_ip: '10.1.100.1' }),
    subnet({ id: 4, cidr: '10.1.200.0/24', vlan_id: 5003, gateway_ip: '10.1.200.1', allow_dns: false }),
    subnet({ id: 5, cidr: '10.1.30.0/24', vlan_id: 5001, managed: false }),
    subnet({ id: 6, cidr: '10.1.44.0/24', vlan_id: 5004, gateway_ip: '10.1.44.1', disabled_boot_architectures: ['uefi_amd64_http', '00:07'] }),
  ],
  ranges: [
    range('reserved', '10.1.20.1', '10.1.20.10', { subnet_id: 1 }),
    range('dynamic', '10.1.20.200', '10.1.20.254', { subnet_id: 1 }),
    range('dynamic', '2001:db8:20::1:0', '2001:db8:20::1:ff', { subnet_id: 2 }),
    range('dynamic', '10.1.100.200', '10.1.100.250', { subnet_id: 3 }),
    range('dynamic', '10.1.200.100', '10.1.200.199', { subnet_id: 4 }),
    range('dynamic', '10.1.44.100', '10.1.44.199', { subnet_id: 6 }),
  ],
  hosts: [
    { ip: '10.1.20.12', mac: '52-54-00-00-01-02', alloc_type: AllocType.STICKY, hostname: 'node2', interface_name: 'eth0.5' },
    { ip: '10.1.20.11', mac: '52:54:00:00:01:01', alloc_type: AllocType.AUTO, hostname: 'node1', interface_name: 'eth0' },
    { ip: '10.1.20.201', mac: '52:54:00:00:01:03', alloc_type: AllocType.DHCP, hostname: 'node3', interface_name: 'eth0' },
    { ip: '10.1.20.202', mac: '52:54:00:00:01:04', alloc_type: AllocType.DISCOVERED, hostname: 'node4' },
    { ip: '10.1.200.50', mac: '52:54:00:00:02:01', alloc_type: AllocType.USER_RESERVED, hostname: 'printer' },
    { ip: '10.1.100.20', mac: '52:54:00:00:03:01', alloc_type: AllocType.AUTO, hostname: 'node5', interface_name: 'eth1' },
    { ip: '10.1.20.13', mac: 'not-a-mac', alloc_type: AllocType.AUTO, hostname: 'node6', interface_name: 'eth0' },
  ],
  racks: [
    {
      system_id: 'rack01',
      hostname: 'rack-one',
      interfaces: [
        { name: 'eth0', vlan_id: 5001, addresses: ['10.1.20.2/24', '2001:db8:20::2/64'] },
        { name: 'eth1', vlan_id: 5002, addresses: ['10.1.100.2/24'] },
      ],
    },
    {
      system_id: 'rack02',
      hostname: 'rack-two',
      interfaces: [
        { name: 'eth0', vlan_id: 5001, addresses: ['10.1.20.4/24'] },
        { name: 'eth1', vlan_id: 5004, addresses: ['10.1.44.2'] },
      ],
    },
  ],
  domain: 'maas',
  searchDomains: ['example.com'],
  dnsServers: ['10.0.0.53', '2001:db8:ffff::53'],
};

const [rack1, rack2] = deriveDhcpServices(input);

describe('the primary rack', () => {
  test('serves only the DHCP-enabled VLAN it is primary or secondary for, with its relays', () => {
    assert.deepEqual(
      rack1.vlans.map((v) => [v.vlan_id, v.role, v.interfaces, v.relay_vlans.map((r) => r.vlan_id)]),
      [[5001, 'primary', ['eth0'], [5003]]],
    );
    assert.deepEqual(rack1.vlans[0].peer, { rack: 'rack02', ipv4: '10.1.20.4', ipv6: null });
    assert.deepEqual(rack1.lease_seconds, { default: 600, pxe: 30 });
  });

  test('serves the managed subnets of the VLAN and of relayed VLANs, IPv4 first', () => {
    assert.deepEqual(
      rack1.vlans[0].subnets.map((s) => [s.cidr, s.relayed, s.vlan_id]),
      [
        ['10.1.20.0/24', false, 5001],
        ['10.1.200.0/24', true, 5003],
        ['2001:db8:20::/64', false, 5001],
      ],
    );
  });

  test('the subnet on the VLAN: options, pools, reservations and boot files', () => {
    const s = rack1.vlans[0].subnets[0];
    assert.deepEqual(
      { ...s, boot: undefined },
      {
        subnet_id: 1,
        cidr: '10.1.20.0/24',
        ip_version: 4,
        vlan_id: 5001,
        relayed: false,
        netmask: '255.255.255.0',
        broadcast: '10.1.20.255',
        router: '10.1.20.1',
        dns_servers: ['10.1.20.2', '10.0.0.53', '10.1.20.3'],
        domain_name: 'maas',
        domain_search: ['maas', 'example.com'],
        ntp_servers: ['10.1.20.2', '10.1.20.4'],
        mtu: 1500,
        next_server: '10.1.20.2',
        pools: [{ start: '10.1.20.200', end: '10.1.20.254' }],
        ipv6: null,
        hosts: [
          { name: 'node1-eth0', hostname: 'node1', mac: '52:54:00:00:01:01', ip: '10.1.20.11' },
          { name: 'node2-eth0-5', hostname: 'node2', mac: '52:54:00:00:01:02', ip: '10.1.20.12' },
        ],
        boot: undefined,
      },
    );
    assert.deepEqual(s.boot, [
      { method: 'ipxe', user_class: 'iPXE', filename: 'http://10.1.20.2:5248/ipxe.cfg' },
      { method: 'uefi_amd64_http', arches: [16], filename: 'http://10.1.20.2:5248/ipxe.efi', vendor_class: 'HTTPClient' },
      { method: 'uefi_amd64_tftp', arches: [7], filename: 'ipxe.efi' },
      { method: 'uefi_ebc_tftp', arches: [9], filename: 'ipxe.efi' },
      { method: 'pxe', arches: [0], fallback: true, filename: 'undionly.kpxe' },
    ]);
  });

  test('the relayed subnet: next-server on the serving VLAN, its own MTU, its reservations', () => {
    const s = rack1.vlans[0].subnets[1];
    assert.equal(s.next_server, '10.1.20.2');
    assert.equal(s.router, '10.1.200.1');
    assert.deepEqual(s.dns_servers, [], 'allow_dns is off and the subnet has no DNS servers');
    assert.equal(s.mtu, 1400);
    assert.deepEqual(s.pools, [{ start: '10.1.200.100', end: '10.1.200.199' }]);
    assert.deepEqual(s.hosts, [{ name: 'printer', hostname: 'printer', mac: '52:54:00:00:02:01', ip: '10.1.200.50' }]);
  });

  test('the IPv6 subnet without a gateway: only in-subnet DNS, URLs for boot files (RFC 5970)', () => {
    const s = rack1.vlans[0].subnets[2];
    assert.equal(s.next_server, '2001:db8:20::2');
    assert.equal(s.broadcast, null);
    assert.equal(s.router, null);
    assert.deepEqual(s.dns_servers, ['2001:db8:20::2']);
    assert.deepEqual(s.ntp_servers, ['2001:db8:20::2']);
    assert.deepEqual(s.boot.map((r) => r.filename), [
      'http://[2001:db8:20::2]:5248/ipxe.cfg',
      'http://[2001:db8:20::2]:5248/ipxe.efi',
      'tftp://[2001:db8:20::2]/ipxe.efi',
      'tftp://[2001:db8:20::2]/ipxe.efi',
      'tftp://[2001:db8:20::2]/undionly.kpxe',
    ]);
  });

  test('DHCP and observed addresses, other VLANs and bad MACs get no reservation', () => {
    const all = rack1.vlans.flatMap((v) => v.subnets.flatMap((s) => s.hosts.map((h) => h.ip)));
    assert.deepEqual(all.sort(), ['10.1.20.11', '10.1.20.12', '10.1.200.50']);
    assert.deepEqual(rack1.warnings, [
      'Subnet 10.1.30.0/24 on VLAN 0 (untagged) on fabric-0 is unmanaged; Plinth does not serve DHCP on it.',
      'Host node6 has an invalid MAC address "not-a-mac"; no reservation for 10.1.20.13.',
    ]);
  });
});

describe('the secondary rack', () => {
  test('serves the shared VLAN as secondary and its own VLAN as primary', () => {
    assert.deepEqual(
      rack2.vlans.map((v) => [v.vlan_id, v.role, v.peer]),
      [
        [5001, 'secondary', { rack: 'rack01', ipv4: '10.1.20.2', ipv6: '2001:db8:20::2' }],
        [5004, 'primary', null],
      ],
    );
  });

  test('uses its own address as next-server, and the peer as second NTP server', () => {
    const s = rack2.vlans[0].subnets[0];
    assert.equal(s.next_server, '10.1.20.4');
    assert.deepEqual(s.ntp_servers, ['10.1.20.4', '10.1.20.2']);
    assert.equal(s.hosts.length, 2, 'both racks carry the same reservations');
  });

  test('without an IPv6 address it cannot offer boot files there, and says so', () => {
    const v6 = rack2.vlans[0].subnets.find((s) => s.ip_version === 6)!;
    assert.equal(v6.next_server, null);
    assert.deepEqual(v6.boot, []);
    assert.ok(rack2.warnings.includes('Rack rack-two has no IPv6 address on VLAN 0 (untagged) on fabric-0 to serve 2001:db8:20::/64 from; clients there cannot network-boot.'), JSON.stringify(rack2.warnings));
  });

  test('disabled boot architectures are left out of the boot rules', () => {
    const lab = rack2.vlans[1].subnets[0];
    assert.deepEqual(lab.boot.map((r) => r.method), ['ipxe', 'uefi_ebc_tftp', 'pxe']);
  });
});

test('a rack that is neither primary nor secondary anywhere serves nothing', () => {
  const [idle] = deriveDhcpServices({ ...input, racks: [{ system_id: 'rack09', hostname: 'spare', interfaces: [] }] });
  assert.deepEqual(idle.vlans, []);
});

test('turning DHCP off on a VLAN removes it from both racks', () => {
  const off = deriveDhcpServices({ ...input, vlans: input.vlans.map((v) => (v.id === 5001 ? { ...v, dhcp_on: false } : v)) });
  assert.deepEqual(off.map((r) => r.vlans.map((v) => v.vlan_id)), [[], [5004]]);
});

test('boot rules honour the HTTP port and method names or arch codes', () => {
  const rules = bootRules(parseIp('10.0.0.1'), { httpPort: 8080 }, ['pxe', '0x09']);
  assert.deepEqual(rules.map((r) => [r.method, r.filename]), [
    ['ipxe', 'http://10.0.0.1:8080/ipxe.cfg'],
    ['uefi_amd64_http', 'http://10.0.0.1:8080/ipxe.efi'],
    ['uefi_amd64_tftp', 'ipxe.efi'],
  ]);
});

describe('IPv6 address modes', () => {
  const v6 = (mode?: 'slaac' | 'dhcpv6-stateless' | 'dhcpv6-stateful') => {
    const out = deriveDhcpServices({ ...input, subnets: input.subnets.map((s) => (s.id === 2 ? { ...s, ipv6_address_mode: mode } : s)) });
    const rack = out.find((r) => r.rack === 'rack01')!;
    return rack.vlans.flatMap((v) => v.subnets).find((s) => s.subnet_id === 2)!;
  };
  test('each mode sets the RA flags (RFC 4861) and whether DHCPv6 serves addresses', () => {
    const table = [
      [undefined, { mode: 'dhcpv6-stateful', managed: true, other_config: true, autonomous: false }, 1],
      ['dhcpv6-stateful', { mode: 'dhcpv6-stateful', managed: true, other_config: true, autonomous: false }, 1],
      ['dhcpv6-stateless', { mode: 'dhcpv6-stateless', managed: false, other_config: true, autonomous: true }, 0],
      ['slaac', { mode: 'slaac', managed: false, other_config: false, autonomous: true }, 0],
    ] as const;
    for (const [mode, ipv6, pools] of table) {
      const s = v6(mode);
      assert.deepEqual(s.ipv6, ipv6, String(mode));
      assert.equal(s.pools.length, pools, String(mode));
    }
  });
  test('IPv4 subnets carry no IPv6 mode', () => {
    const out = deriveDhcpServices(input);
    const s = out.find((r) => r.rack === 'rack01')!.vlans.flatMap((v) => v.subnets).find((x) => x.subnet_id === 1)!;
    assert.equal(s.ipv6, null);
  });
});
