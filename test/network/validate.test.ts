import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  validateIpRange,
  validateSubnet,
  validateVlan,
  type IpRangeContext,
  type IpRangeDraft,
  type SubnetContext,
  type SubnetDraft,
  type ValidationIssue,
  type VlanContext,
  type VlanDraft,
} from '../../src/domain/network/validate.ts';
import { range, subnet, vlan } from './fixtures.ts';

/** Each case: what is validated, and the exact issues expected (field and message pattern). */
type Expect = [field: string | undefined, message: RegExp][];

function check(issues: ValidationIssue[], expected: Expect) {
  assert.equal(issues.length, expected.length, `issues: ${JSON.stringify(issues)}`);
  expected.forEach(([field, message], i) => {
    assert.equal(issues[i].field, field, JSON.stringify(issues[i]));
    assert.match(issues[i].message, message);
  });
}

describe('IP ranges', () => {
  const lan = subnet({ cidr: '10.1.20.0/24', gateway_ip: '10.1.20.1', dns_servers: ['10.1.20.2'] });
  const existing = [range('reserved', '10.1.20.1', '10.1.20.10', { id: 1 }), range('dynamic', '10.1.20.200', '10.1.20.254', { id: 2 })];
  const ctx: IpRangeContext = { subnet: lan, ranges: existing };
  const d = (type: 'dynamic' | 'reserved', start_ip: string, end_ip: string, id?: number): IpRangeDraft => ({ subnet_id: 1, type, start_ip, end_ip, ...(id ? { id } : {}) });
  const cases: [string, IpRangeDraft, IpRangeContext, Expect][] = [
    ['a free reserved range is valid', d('reserved', '10.1.20.20', '10.1.20.30'), ctx, []],
    ['a free dynamic range is valid', d('dynamic', '10.1.20.100', '10.1.20.150'), ctx, []],
    ['start after end', d('reserved', '10.1.20.30', '10.1.20.20'), ctx, [['end_ip', /^End IP address must not be less than Start IP address \(10\.1\.20\.20 < 10\.1\.20\.30\)\.$/]]],
    ['start outside the subnet', d('reserved', '10.1.19.5', '10.1.20.30'), ctx, [['start_ip', /^Start IP address must be within subnet: 10\.1\.20\.0\/24\.$/]]],
    ['end outside the subnet', d('reserved', '10.1.20.30', '10.1.21.5'), ctx, [['end_ip', /^End IP address must be within subnet: 10\.1\.20\.0\/24\.$/]]],
    ['both outside the subnet', d('reserved', '10.1.21.1', '10.1.21.5'), ctx, [['start_ip', /^IP addresses must be within subnet: 10\.1\.20\.0\/24\.$/]]],
    ['the network address', d('reserved', '10.1.20.0', '10.1.20.0'), { ...ctx, ranges: [] }, [['start_ip', /^Reserved network address cannot be included in IP range/]]],
    ['the broadcast address', d('reserved', '10.1.20.240', '10.1.20.255'), { ...ctx, ranges: [] }, [['end_ip', /^Broadcast address cannot be included in IP range \(10\.1\.20\.255 is the broadcast address/]]],
    [
      'overlapping an existing reserved range',
      d('reserved', '10.1.20.5', '10.1.20.15'),
      ctx,
      [['start_ip', /^Requested reserved range 10\.1\.20\.5-10\.1\.20\.15 conflicts with an existing reserved range: 10\.1\.20\.1-10\.1\.20\.10\.$/]],
    ],
    ['overlapping an existing dynamic range', d('dynamic', '10.1.20.190', '10.1.20.210'), ctx, [['start_ip', /conflicts with an existing dynamic range: 10\.1\.20\.200-10\.1\.20\.254/]]],
    [
      'overlapping two ranges names both',
      d('reserved', '10.1.20.5', '10.1.20.220'),
      ctx,
      [
        ['start_ip', /existing reserved range: 10\.1\.20\.1-10\.1\.20\.10/],
        ['start_ip', /existing dynamic range: 10\.1\.20\.200-10\.1\.20\.254/],
      ],
    ],
    ['an update does not conflict with itself', d('dynamic', '10.1.20.190', '10.1.20.254', 2), ctx, []],
    [
      'a dynamic range containing the gateway',
      d('dynamic', '10.1.20.140', '10.1.20.160'),
      { ...ctx, subnet: { ...lan, gateway_ip: '10.1.20.150' } },
      [['start_ip', /conflicts with the subnet's gateway 10\.1\.20\.150: DHCP could hand it to a machine\.$/]],
    ],
    [
      'a dynamic range containing a DNS server',
      d('dynamic', '10.1.20.110', '10.1.20.130'),
      { ...ctx, subnet: { ...lan, dns_servers: ['10.1.20.120'] } },
      [['start_ip', /conflicts with the subnet's DNS server 10\.1\.20\.120/]],
    ],
    [
      'a dynamic range over assigned addresses (observed ones do not count)',
      d('dynamic', '10.1.20.100', '10.1.20.150'),
      { ...ctx, used: ['10.1.20.105', { ip: '10.1.20.106', alloc_type: 1 }, { ip: '10.1.20.107', alloc_type: 6 }] },
      [['start_ip', /conflicts with an assigned IP address: 10\.1\.20\.105 \(and 1 more\)\.$/]],
    ],
    [
      'a dynamic range over a static route gateway',
      d('dynamic', '10.1.20.100', '10.1.20.150'),
      { ...ctx, staticRouteGateways: ['10.1.20.140'] },
      [['start_ip', /conflicts with static route gateway 10\.1\.20\.140/]],
    ],
    ['a reserved range may cover the gateway and assigned addresses', d('reserved', '10.1.20.11', '10.1.20.20'), { ...ctx, used: ['10.1.20.15'] }, []],
    ['a dynamic range on an unmanaged subnet is refused', d('dynamic', '10.1.20.100', '10.1.20.150'), { ...ctx, subnet: { ...lan, managed: false } }, [['type', /^Dynamic ranges are refused on unmanaged subnet 10\.1\.20\.0\/24/]]],
    ['mixed address families', d('reserved', '10.1.20.5', '2001:db8::5'), ctx, [['end_ip', /same address family/]]],
    ['malformed addresses', d('reserved', '10.1.20', 'x'), ctx, [['start_ip', /"10\.1\.20" is not a valid IP address/], ['end_ip', /"x" is not a valid IP address/]]],
    ['an unknown type', { ...d('reserved', '10.1.20.20', '10.1.20.30'), type: 'static' as never }, ctx, [['type', /must be "dynamic" or "reserved", not "static"/]]],
    [
      'an IPv6 dynamic range under 256 addresses',
      d('dynamic', '2001:db8::100', '2001:db8::1fe'),
      { subnet: subnet({ cidr: '2001:db8::/64' }), ranges: [] },
      [['end_ip', /^IPv6 dynamic range must be at least 256 addresses in size\.$/]],
    ],
  ];
  for (const [name, draft, c, expected] of cases) test(name, () => check(validateIpRange(draft, c), expected));
});

describe('subnets', () => {
  const others: SubnetContext = { subnets: [{ id: 7, cidr: '10.1.0.0/16', name: 'campus' }, { id: 8, cidr: '10.2.0.0/24', name: 'lab' }] };
  const s = (over: Partial<SubnetDraft>): SubnetDraft => ({ cidr: '10.3.0.0/24', gateway_ip: '10.3.0.1', dns_servers: [], managed: true, ...over });
  const withDynamic: SubnetContext = { subnets: [], ranges: [range('dynamic', '10.3.0.200', '10.3.0.254')] };
  const cases: [string, SubnetDraft, SubnetContext, Expect][] = [
    ['a free subnet is valid', s({}), others, []],
    ['a malformed CIDR', s({ cidr: '10.3.0/24' }), others, [['cidr', /^"10\.3\.0\/24" is not a valid CIDR\. Expected <network address>\/<prefix length>/]]],
    ['host bits set', s({ cidr: '10.3.0.7/24' }), others, [['cidr', /It has host bits set; did you mean 10\.3\.0\.0\/24\?/]]],
    ['overlapping a larger subnet', s({ cidr: '10.1.20.0/24', gateway_ip: null }), others, [['cidr', /^Subnet 10\.1\.20\.0\/24 would overlap with existing subnet 10\.1\.0\.0\/16 \(campus\)\.$/]]],
    ['containing an existing subnet', s({ cidr: '10.0.0.0/8', gateway_ip: null }), others, [['cidr', /10\.1\.0\.0\/16 \(campus\)/], ['cidr', /10\.2\.0\.0\/24 \(lab\)/]]],
    ['an update does not overlap itself', { ...s({ cidr: '10.1.0.0/16', gateway_ip: null }), id: 7 }, others, []],
    ['a gateway outside the CIDR', s({ gateway_ip: '10.4.0.1' }), others, [['gateway_ip', /^Gateway IP must be within CIDR range \(10\.4\.0\.1 is not in 10\.3\.0\.0\/24\)\.$/]]],
    ['an IPv6 link-local gateway is allowed', s({ cidr: '2001:db8:3::/64', gateway_ip: 'fe80::1' }), others, []],
    ['a gateway inside a dynamic range', s({ gateway_ip: '10.3.0.254' }), withDynamic, [['gateway_ip', /^Gateway IP 10\.3\.0\.254 is inside the dynamic range 10\.3\.0\.200-10\.3\.0\.254/]]],
    ['a DNS server inside a dynamic range', s({ dns_servers: ['10.3.0.5', '10.3.0.210'] }), withDynamic, [['dns_servers', /^DNS server 10\.3\.0\.210 is inside the dynamic range/]]],
    ['a malformed DNS server', s({ dns_servers: ['dns.example'] }), others, [['dns_servers', /"dns\.example" is not a valid IP address/]]],
    ['unmanaged with a dynamic range', s({ managed: false }), withDynamic, [['managed', /cannot be unmanaged while it has dynamic range 10\.3\.0\.200-10\.3\.0\.254/]]],
  ];
  for (const [name, draft, c, expected] of cases) test(name, () => check(validateSubnet(draft, c), expected));
});

describe('VLANs', () => {
  const lan = subnet({ id: 1, cidr: '10.1.20.0/24', vlan_id: 5001 });
  const dyn = range('dynamic', '10.1.20.200', '10.1.20.254', { subnet_id: 1 });
  const relayTarget = vlan({ id: 5009, vid: 9, name: 'v9' });
  const relaying = vlan({ id: 5010, vid: 10, name: 'v10', relay_vlan_id: 5009 });
  const full: VlanContext = { vlans: [vlan(), relayTarget, relaying], subnets: [lan], ranges: [dyn], fabricName: 'fabric-0' };
  const v = (over: Partial<VlanDraft>): VlanDraft => ({ id: 5001, fabric_id: 1, vid: 0, mtu: 1500, dhcp_on: false, primary_rack: null, secondary_rack: null, relay_vlan_id: null, ...over });
  const on = (over: Partial<VlanDraft> = {}) => v({ dhcp_on: true, primary_rack: 'rack01', ...over });
  const cases: [string, VlanDraft, VlanContext, Expect][] = [
    ['DHCP with a primary rack and a dynamic range', on({ secondary_rack: 'rack02' }), full, []],
    ['DHCP without a primary rack', on({ primary_rack: null }), full, [['dhcp_on', /^dhcp can only be turned on when a primary rack controller is set; the untagged VLAN on fabric-0 has none\. Set primary_rack\.$/]]],
    [
      'DHCP without a dynamic range',
      on(),
      { ...full, ranges: [] },
      [['dhcp_on', /^dhcp can only be turned on when a dynamic IP range is defined: no managed subnet of the untagged VLAN on fabric-0 \(10\.1\.20\.0\/24\) has one; add a dynamic range\.$/]],
    ],
    ['DHCP on a VLAN without subnets', on(), { ...full, subnets: [], ranges: [] }, [['dhcp_on', /the untagged VLAN on fabric-0 has no subnet; add a subnet and a dynamic range in it/]]],
    ['DHCP with only unmanaged subnets', on(), { ...full, subnets: [{ ...lan, managed: false }] }, [['dhcp_on', /has only unmanaged subnets \(10\.1\.20\.0\/24\); make one managed/]]],
    [
      'DHCP with neither names both',
      on({ primary_rack: null }),
      { ...full, ranges: [] },
      [
        ['dhcp_on', /primary rack controller is set/],
        ['dhcp_on', /dynamic IP range is defined/],
      ],
    ],
    ['the same rack twice', on({ secondary_rack: 'rack01' }), full, [['secondary_rack', /^The primary and secondary rack must be different\.$/]]],
    ['a secondary without a primary', v({ secondary_rack: 'rack02' }), full, [['secondary_rack', /only be set together with a primary/]]],
    ['DHCP on a relayed VLAN', on({ relay_vlan_id: 5009 }), full, [['relay_vlan', /^'relay_vlan' cannot be set when dhcp is on\.$/]]],
    ['relaying to itself', v({ relay_vlan_id: 5001 }), full, [['relay_vlan', /cannot relay DHCP to itself/]]],
    ['relaying to an unknown VLAN', v({ relay_vlan_id: 42 }), full, [['relay_vlan', /Relay VLAN 42 does not exist/]]],
    ['relaying to a VLAN that relays', v({ relay_vlan_id: 5010 }), full, [['relay_vlan', /VLAN 5010 cannot be a relay target: it relays to VLAN 5009 itself/]]],
    ['a VID out of range', v({ id: undefined, vid: 4095 }), full, [['vid', /between 0 and 4094, not 4095/]]],
    ['a duplicate VID on the fabric', v({ id: undefined, vid: 9 }), full, [['vid', /VLAN with this Fabric and Vid already exists \(vid 9\)/]]],
    ['an MTU too small', v({ mtu: 500 }), full, [['mtu', /greater than or equal to 552/]]],
    ['an MTU too large', v({ mtu: 70000 }), full, [['mtu', /less than or equal to 65535/]]],
  ];
  for (const [name, draft, c, expected] of cases) test(name, () => check(validateVlan(draft, c), expected));
});
