-- Migration 009: the metadata service (what machines talk to).
--
-- Node keys: each machine has one OAuth token (MAAS's NodeKey), created on demand. It lives in
-- api_tokens as kind 'node' with no user: the edge maps it to the internal identity `maas-init-node`,
-- which has no password, no session and is refused by the MAAS API; only /MAAS/metadata/ accepts it.
create unique index api_tokens_one_per_node on api_tokens(node_id) where kind = 'node';
alter table api_tokens add constraint api_tokens_node_fk foreign key (node_id) references nodes(id) on delete cascade;

-- Script sets and their results (MAAS's ScriptSet / ScriptResult). kind is what ran: commissioning,
-- testing, installation or release. A set belongs to one run of an action on a machine.
create table script_sets (
  id        serial primary key,
  node_id   integer not null references nodes(id) on delete cascade,
  kind      text not null check (kind in ('commissioning', 'testing', 'installation', 'release')),
  last_ping timestamptz,
  created   timestamptz not null default now()
);
create index script_sets_node on script_sets(node_id, kind, id);
-- Migration 002's rule for tables with node_id.
create trigger script_sets_bump after insert or update or delete on script_sets for each row execute function plinth_bump_node();

-- status: MAAS's script status ints (0 pending, 1 running, 2 passed, 3 failed, 4 timed out, 5 aborted,
-- 7 installing dependencies, 10 applying network configuration). Outputs are the bytes the machine sent.
create table script_results (
  id            serial primary key,
  script_set_id integer not null references script_sets(id) on delete cascade,
  name          text not null,
  status        integer not null default 0,
  exit_status   integer,
  runtime       double precision,
  output        bytea not null default ''::bytea,
  stdout        bytea not null default ''::bytea,
  stderr        bytea not null default ''::bytea,
  result        bytea not null default ''::bytea,
  started       timestamptz,
  ended         timestamptz,
  created       timestamptz not null default now(),
  updated       timestamptz not null default now(),
  unique (script_set_id, name)
);
