-- Migration 011: the DHCP leases racks report, as the region's shared view for failover.
-- A VLAN's primary and secondary rack each report the leases they grant; the region pushes the
-- active ones of a failover VLAN to both racks, so either can confirm a client the other leased.
-- One row per address (the latest holder). `rack` is the system_id of the rack that last granted or
-- renewed it — text rather than a node reference, so lease churn does not bump the rack's node
-- version (migration 002's trigger) and a deleted rack leaves its leases to expire.
-- `client_key` is the DHCP server's key for the client: "id:<option 61 hex>" or "hw:<htype>:<mac>".
create table dhcp_leases (
  ip         text primary key,
  subnet_id  integer not null references subnets(id) on delete cascade,
  mac        text not null,
  client_key text,
  rack       text,
  expires    timestamptz not null,
  updated    timestamptz not null default now()
);
create index dhcp_leases_subnet on dhcp_leases(subnet_id, expires);
