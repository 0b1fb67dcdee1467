-- Migration 013: custom commissioning and testing scripts (the MAAS API's `scripts/`, CLI `node-scripts`).
--
-- The scripts Plinth ships live in the code (services/commissioning/builtin.ts) and are listed beside
-- these with ids 1..999; stored scripts and their versions are numbered from 1001 so the two never meet.
-- script_type: MAAS's numbers, 0 commissioning and 2 testing. hardware_type: 0 node, 1 cpu, 2 memory,
-- 3 storage, 4 network, 5 gpu. parallel: 0 disabled, 1 instance, 2 any. timeout in seconds (0: none).
create table scripts (
  id                          serial primary key,
  name                        text not null unique,
  title                       text not null default '',
  description                 text not null default '',
  script_type                 integer not null default 2 check (script_type in (0, 2)),
  hardware_type               integer not null default 0 check (hardware_type between 0 and 5),
  parallel                    integer not null default 0 check (parallel between 0 and 2),
  timeout                     integer not null default 0 check (timeout >= 0),
  destructive                 boolean not null default false,
  may_reboot                  boolean not null default false,
  tags                        text[] not null default '{}',
  packages                    jsonb not null default '{}',
  parameters                  jsonb not null default '{}',
  results                     jsonb not null default '{}',
  for_hardware                text[] not null default '{}',
  recommission                boolean not null default false,
  apply_configured_networking boolean not null default false,
  "default"                   boolean not null default false,
  created                     timestamptz not null default now(),
  updated                     timestamptz not null default now()
);
alter sequence scripts_id_seq restart with 1001;

-- Every text a script has had (MAAS keeps the history): the newest is what runs; reverting removes
-- the versions after the one reverted to.
create table script_versions (
  id        serial primary key,
  script_id integer not null references scripts(id) on delete cascade,
  content   text not null,
  comment   text not null default '',
  created   timestamptz not null default now()
);
alter sequence script_versions_id_seq restart with 1001;
create index script_versions_script on script_versions(script_id, id);
