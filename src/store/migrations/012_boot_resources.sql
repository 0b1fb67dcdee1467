-- Migration 012: boot resources (the images the region knows), their sets and files; boot sources
-- (simplestreams mirrors to import from) with their selections; and the region's import job.
--
-- A resource is one `name` (`debian/bookworm`, `custom/<name>`, `ephemeral/bookworm`) for one
-- `architecture` (`amd64/generic`). Synced: imported from a boot source; Uploaded: sent through the
-- API; Generated: found in the images directory (`plinth images build`). A set is one version of
-- its files; a file's `path` is its layout name relative to the images directory
-- (src/domain/boot/images.ts), which is what racks serve. `progress` is the bytes present so far.

create table boot_resources (
  id           serial primary key,
  rtype        text not null check (rtype in ('Synced', 'Uploaded', 'Generated')),
  name         text not null,
  architecture text not null,
  base_image   text not null default '',
  title        text not null default '',
  extra        jsonb not null default '{}',
  created      timestamptz not null default now(),
  updated      timestamptz not null default now(),
  unique (name, architecture)
);

create table boot_resource_sets (
  id          serial primary key,
  resource_id integer not null references boot_resources(id) on delete cascade,
  version     text not null,
  label       text not null default '',
  created     timestamptz not null default now(),
  updated     timestamptz not null default now(),
  unique (resource_id, version)
);

create table boot_resource_files (
  id       serial primary key,
  set_id   integer not null references boot_resource_sets(id) on delete cascade,
  filename text not null,
  filetype text not null check (filetype in ('root-tgz', 'root-dd', 'root-dd.gz', 'squashfs', 'boot-kernel', 'boot-initrd')),
  sha256   text not null check (sha256 ~ '^[0-9a-f]{64}$'),
  size     bigint not null check (size >= 0),
  path     text not null,
  complete boolean not null default false,
  progress bigint not null default 0,
  -- Where a synced file comes from (mirror URL and item path); null for uploads and generated files.
  source   text,
  unique (set_id, filename)
);

create table boot_sources (
  id               serial primary key,
  url              text not null unique,
  keyring_filename text not null default '',
  keyring_data     bytea not null default ''::bytea,
  created          timestamptz not null default now(),
  updated          timestamptz not null default now()
);

create table boot_source_selections (
  id             serial primary key,
  boot_source_id integer not null references boot_sources(id) on delete cascade,
  os             text not null,
  release        text not null,
  arches         text[] not null default '{*}',
  subarches      text[] not null default '{*}',
  labels         text[] not null default '{*}',
  unique (boot_source_id, os, release)
);

-- The import job (one row). `running` survives a restart: a region that starts, or whose periodic
-- tick finds the lease free or stale, takes it over and carries on (partial files resume).
create table boot_import (
  id        integer primary key check (id = 1),
  state     text not null default 'idle' check (state in ('idle', 'running', 'stopping')),
  owner     text,
  heartbeat timestamptz,
  started   timestamptz,
  finished  timestamptz,
  message   text not null default ''
);
insert into boot_import (id) values (1);
