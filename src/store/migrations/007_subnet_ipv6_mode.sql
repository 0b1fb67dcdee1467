-- Migration 007: how hosts on an IPv6 subnet get addresses (a Plinth addition to MAAS's subnet):
-- 'slaac' (router advertisements, A flag; no DHCPv6 addresses), 'dhcpv6-stateless' (SLAAC plus DHCPv6
-- for options, O flag), 'dhcpv6-stateful' (DHCPv6 hands out addresses from dynamic ranges, M flag).
-- Null for IPv4 subnets.
alter table subnets add column ipv6_address_mode text
  check (ipv6_address_mode in ('slaac', 'dhcpv6-stateless', 'dhcpv6-stateful'));
-- MAAS serves DHCPv6 from dynamic ranges on IPv6 subnets, so that is the default.
update subnets set ipv6_address_mode = 'dhcpv6-stateful' where cidr like '%:%';
