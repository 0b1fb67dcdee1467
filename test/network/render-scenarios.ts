/**
 * The machine network configurations the rendering golden tests cover.
 */
import type { NetworkConfigInput } from '../../src/domain/network/render/plan.ts';
import { bond, bridge, link, physical, subnet, vlan, vlanIface } from './fixtures.ts';

const untagged = vlan();
const vlan100 = vlan({ id: 5002, vid: 100, name: 'storage', mtu: 9000 });
const lan = subnet({ id: 1, cidr: '10.1.20.0/24', gateway_ip: '10.1.20.1', dns_servers: ['10.1.20.2'] });
const lan6 = subnet({ id: 2, cidr: '2001:db8:20::/64', gateway_ip: '2001:db8:20::1' });
const backend = subnet({ id: 3, cidr: '10.1.30.0/24', gateway_ip: '10.1.30.1' });
const storage = subnet({ id: 4, cidr: '10.1.100.0/24', vlan_id: 5002, gateway_ip: '10.1.100.1', dns_servers: ['10.1.100.2'] });
const remote = subnet({ id: 5, cidr: '10.9.0.0/16' });
const common = { vlans: [untagged, vlan100], subnets: [lan, lan6, backend, storage, remote], nameservers: ['10.1.20.2'], searchDomains: ['maas'] };

export const scenarios: Record<string, NetworkConfigInput> = {
  'single-static': {
    ...common,
    interfaces: [physical({ id: 1, name: 'eth0', mac: '52:54:00:00:00:01', links: [link(11, 'auto', 1, '10.1.20.11')] })],
  },
  dhcp: {
    ...common,
    interfaces: [physical({ id: 1, name: 'eth0', mac: '52:54:00:00:00:01', links: [link(11, 'dhcp', 1)] })],
  },
  'bond-vlan-bridge': {
    ...common,
    interfaces: [
      physical({ id: 1, name: 'eth0', mac: '52:54:00:00:00:01' }),
      physical({ id: 2, name: 'eth1', mac: '52:54:00:00:00:02' }),
      bond(
        { id: 3, name: 'bond0', mac: '52:54:00:00:00:01', parents: [1, 2], links: [link(31, 'static', 1, '10.1.20.21')] },
        { mode: '802.3ad', lacp_rate: 'fast', xmit_hash_policy: 'layer3+4', miimon: 100 },
      ),
      vlanIface({ id: 4, name: 'bond0.100', mac: '52:54:00:00:00:01', vlan_id: 5002, parents: [3], links: [link(41, 'link_up', null)] }),
      bridge({ id: 5, name: 'br100', mac: '52:54:00:00:00:01', vlan_id: 5002, parents: [4], links: [link(51, 'auto', 4, '10.1.100.21')] }, { stp: false, fd: 0 }),
    ],
    defaultGateways: { ipv4: 51 },
  },
  'two-nics-gateway': {
    ...common,
    staticRoutes: [{ id: 1, source_subnet_id: 1, destination_subnet_id: 5, gateway_ip: '10.1.20.254', metric: 10 }],
    interfaces: [
      physical({ id: 1, name: 'eth0', mac: '52:54:00:00:00:01', links: [link(11, 'static', 1, '10.1.20.11'), link(12, 'static', 2, '2001:db8:20::11')] }),
      physical({ id: 2, name: 'eth1', mac: '52:54:00:00:00:02', links: [link(21, 'static', 3, '10.1.30.11')] }),
    ],
    defaultGateways: { ipv4: 21, ipv6: 12 },
  },
};
