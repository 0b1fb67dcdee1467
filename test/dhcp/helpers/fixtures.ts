/**
 * Configurations for the loopback tests. Every address is inside 127.0.0.0/8, so replies,
 * broadcasts included, never leave the host:
 * - 127.42.0.0/24 is served through a "relay" (giaddr 127.42.0.1, the test peer);
 * - 127.43.0.0/24 is attached: the server's own address 127.43.0.1 is inside it, and its
 *   directed broadcast 127.43.0.255 is delivered locally.
 */
import type { DhcpConfig, SubnetConfig } from '../../../src/edges/rack/dhcp/config.ts';

export const RELAYED = '127.42.0.0/24';
export const RELAY_IP = '127.42.0.1';
export const ATTACHED = '127.43.0.0/24';
export const SERVER_IP = '127.0.0.1';
export const ATTACHED_SERVER_IP = '127.43.0.1';

export function relayedSubnet(overrides: Partial<SubnetConfig> = {}): SubnetConfig {
  return {
    cidr: RELAYED,
    serverAddress: SERVER_IP,
    router: RELAY_IP,
    dnsServers: ['127.42.0.2', '127.42.0.3'],
    domain: 'maas.test',
    searchDomains: ['maas.test', 'lab.maas.test'],
    ntpServers: ['127.42.0.4'],
    mtu: 1450,
    leaseTime: 600,
    pools: [{ start: '127.42.0.100', end: '127.42.0.199' }],
    reservations: [{ mac: '52:54:00:aa:00:01', ip: '127.42.0.10', hostname: 'reserved-node' }],
    nextServer: '127.42.0.5',
    ...overrides,
  };
}

export function attachedSubnet(overrides: Partial<SubnetConfig> = {}): SubnetConfig {
  return {
    cidr: ATTACHED,
    serverAddress: ATTACHED_SERVER_IP,
    router: ATTACHED_SERVER_IP,
    dnsServers: [ATTACHED_SERVER_IP],
    leaseTime: 300,
    pools: [{ start: '127.43.0.50', end: '127.43.0.59' }],
    ...overrides,
  };
}

export function testConfig(overrides: Partial<DhcpConfig> = {}): DhcpConfig {
  return {
    subnets: [relayedSubnet(), attachedSubnet()],
    rateLimit: { burst: 50, perSecond: 50 },
    ...overrides,
  };
}

let macCounter = 0x100;
/** A fresh locally administered MAC per call. */
export function freshMac(): string {
  macCounter += 1;
  const n = macCounter;
  return `02:00:00:${((n >> 16) & 255).toString(16).padStart(2, '0')}:${((n >> 8) & 255).toString(16).padStart(2, '0')}:${(n & 255).toString(16).padStart(2, '0')}`;
}
