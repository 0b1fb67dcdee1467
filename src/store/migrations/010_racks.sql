-- Migration 010: what the region knows of a rack controller beyond its node row (node_type 2).
-- A rack keeps one authenticated link to one region process; that region records here who it is,
-- when the link came up and when the rack was last heard of (each heartbeat), so every region (and
-- the API on any of them) can tell a live rack from one whose region died: a rack counts as
-- connected only while `last_seen` is recent (services/racks/status.ts).
-- `services` is the rack's own report ({dhcp|tftp|http|power: {status, reason?}}), `images` the boot
-- images in its cache ([{name, architecture, subarches}]).

create table rack_status (
  node_id      integer primary key references nodes(id) on delete cascade,
  version      text not null default '',
  connected    boolean not null default false,
  region       text,
  connected_at timestamptz,
  last_seen    timestamptz,
  services     jsonb not null default '{}',
  images       jsonb not null default '[]'
);

-- Migration 002's rule: rows with a node_id bump that node's version.
create trigger rack_status_bump after insert or update or delete on rack_status
  for each row execute function plinth_bump_node();
