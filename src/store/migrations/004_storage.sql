-- Migration 004: each machine's storage configuration beyond its physical disks.
-- Physical disks stay rows of block_devices (their tags and the boot disk flag live there). Everything
-- built on them (partition tables, partitions, filesystems, volume groups and logical volumes, RAID
-- arrays, bcache cache sets and devices) is kept per machine as one JSON tree in storage_trees: the
-- domain (src/domain/storage) works on whole trees, every edit replaces the tree in one transaction.
-- Ids shown in the API come from the sequences below (virtual block devices from block_devices' own
-- sequence, so they never clash with physical disks) and never change while the entity exists.

create table storage_trees (
  node_id integer primary key references nodes(id) on delete cascade,
  tree    jsonb not null,
  updated timestamptz not null default now()
);
-- Migration 002's rule: rows with a node_id bump that machine's version (its cached JSON embeds them).
create trigger storage_trees_bump after insert or update or delete on storage_trees for each row execute function plinth_bump_node();

create sequence storage_partition_ids;
create sequence storage_filesystem_ids;
create sequence storage_volume_group_ids;
create sequence storage_raid_ids;
create sequence storage_cache_set_ids;
create sequence storage_bcache_ids;
