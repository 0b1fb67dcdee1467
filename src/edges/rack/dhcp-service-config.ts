/**
 * Turns the region's description of what a rack serves (`DhcpRackService`, derived in the domain)
 * into the configuration of the rack's DHCPv4 server (`DhcpConfig`). IPv6 subnets are left to
 * router advertisements and are not the DHCPv4 server's business.
 *
 * Failover (domain/network/dhcp-failover.ts): on a VLAN with two racks each rack allocates new
 * addresses only from its half of every pool (`allocate`) and confirms known leases in all of it.
 * The secondary's subnets are in `standby` — answering only renewals of leases it granted itself,
 * rebinding clients whose lease it knows, and, per client, clients the primary evidently is not
 * answering (dhcp/standby.ts: `secs` or retries seen for `takeoverSecs`, so it takes over even
 * while the region is unreachable) — unless the region says the VLAN's primary is gone
 * (`primaryGone`); then it serves them fully, still from its own half. A rack serving nothing gets
 * an empty configuration.
 */
import type { DhcpRackService, DhcpSubnetService, DhcpVlanService } from '../../domain/network/dhcp-service.ts';
import { splitPools } from '../../domain/network/dhcp-failover.ts';
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

function subnet(s: DhcpSubnetService, serverAddress: string, leaseTime: number, vlan: DhcpVlanService, o: ServiceConfigOptions): SubnetConfig {
  const failover = vlan.peer !== null || vlan.role === 'secondary' ? { allocate: splitPools(s.pools, vlan.role), standby: vlan.role === 'secondary' && !(o.primaryGone?.has(vlan.vlan_id) ?? false) } : {};
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
    ...failover,
    reservations: s.hosts.map((h) => ({ mac: h.mac, ip: h.ip, hostname: h.hostname })),
    nextServer: s.next_server ?? serverAddress,
    boot: boot(s),
  };
}

export function dhcpConfigFromService(svc: DhcpRackService, o: ServiceConfigOptions = {}): DhcpConfig {
  const subnets: SubnetConfig[] = [];
  for (const vlan of svc.vlans) {
    for (const s of vlan.subnets) {
      // Without an IPv4 address of its own there, the rack cannot be the server identifier.
      if (s.ip_version !== 4 || !s.next_server) continue;
      subnets.push(subnet(s, s.next_server, svc.lease_seconds.default, vlan, o));
    }
  }
  return { role: 'primary', subnets };
}
