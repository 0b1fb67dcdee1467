/**
 * Turns the region's description of what a rack serves (`DhcpRackService`, derived in the domain)
 * into the configuration of the rack's DHCPv4 server (`DhcpConfig`). IPv6 subnets are left to
 * router advertisements and are not the DHCPv4 server's business.
 *
 * Failover: a rack that is secondary for a VLAN serves that VLAN's subnets only while the VLAN's
 * primary is gone (`primaryGone`); it then serves them from the shared view of leases the region
 * keeps. A rack serving nothing gets an empty configuration (it answers nobody).
 */
import type { DhcpRackService, DhcpSubnetService, DhcpVlanService } from '../../domain/network/dhcp-service.ts';
import type { BootConfig, BootFileConfig, DhcpConfig, SubnetConfig } from './dhcp/index.ts';

export interface ServiceConfigOptions {
  /** VLAN ids whose primary rack is gone: a secondary serves them. */
  primaryGone?: ReadonlySet<number>;
}

function boot(s: DhcpSubnetService): BootConfig {
  if (s.boot.length === 0) return { enabled: false };
  const files: BootFileConfig[] = [];
  let ipxeScriptUrl: string | undefined;
  for (const rule of s.boot) {
    if (rule.user_class === 'iPXE') ipxeScriptUrl = rule.filename;
    for (const arch of rule.arches ?? []) files.push({ arch, file: rule.filename });
  }
  return { enabled: true, files, ...(ipxeScriptUrl ? { ipxeScriptUrl } : {}) };
}

function subnet(s: DhcpSubnetService, serverAddress: string, leaseTime: number): SubnetConfig {
  return {
    cidr: s.cidr,
    serverAddress,
    attached: !s.relayed,
    ...(s.router ? { router: s.router } : {}),
    ...(s.dns_servers.length ? { dnsServers: s.dns_servers } : {}),
    ...(s.domain_name ? { domain: s.domain_name } : {}),
    ...(s.domain_search.length ? { searchDomains: s.domain_search } : {}),
    ...(s.ntp_servers.length ? { ntpServers: s.ntp_servers } : {}),
    mtu: s.mtu,
    leaseTime,
    pools: s.pools,
    reservations: s.hosts.map((h) => ({ mac: h.mac, ip: h.ip, hostname: h.hostname })),
    nextServer: s.next_server ?? serverAddress,
    boot: boot(s),
  };
}

const serves = (v: DhcpVlanService, o: ServiceConfigOptions) => v.role === 'primary' || (o.primaryGone?.has(v.vlan_id) ?? false);

export function dhcpConfigFromService(svc: DhcpRackService, o: ServiceConfigOptions = {}): DhcpConfig {
  const subnets: SubnetConfig[] = [];
  for (const vlan of svc.vlans) {
    if (!serves(vlan, o)) continue;
    for (const s of vlan.subnets) {
      // Without an IPv4 address of its own there, the rack cannot be the server identifier.
      if (s.ip_version !== 4 || !s.next_server) continue;
      subnets.push(subnet(s, s.next_server, svc.lease_seconds.default));
    }
  }
  return { role: 'primary', subnets };
}
