-- Migration 008: the storage layout commissioning reports for a machine (MAAS's "custom" layout source).
-- Stored as a Plinth storage document; `set_storage_layout storage_layout=custom` applies it.
create table custom_storage_layouts (
  node_id  integer primary key references nodes(id) on delete cascade,
  document jsonb not null,
  source   text not null default 'commissioning',
  updated  timestamptz not null default now()
);
-- Migration 002's rule for tables with node_id.
create trigger custom_storage_layouts_bump after insert or update or delete on custom_storage_layouts for each row execute function plinth_bump_node();
