-- Migration 002: change tracking for cached representations.
-- Every machine carries a version that any change to it, or to a row that hangs off it, bumps; a
-- global epoch counts changes to shared objects embedded in machine representations (zones, pools,
-- domains, tags, VLANs, fabrics). A region may cache a machine's rendered form under (version, epoch).
-- Every table with a node_id column must carry the plinth_bump_node trigger (a test checks this).

alter table nodes add column version bigint not null default 0;

create table render_epoch (id integer primary key, epoch bigint not null);
insert into render_epoch (id, epoch) values (1, 0);

create function plinth_node_version() returns trigger language plpgsql as $$
begin
  new.version := old.version + 1;
  return new;
end $$;
create trigger nodes_version before update on nodes for each row execute function plinth_node_version();

create function plinth_bump_node() returns trigger language plpgsql as $$
begin
  if tg_op in ('UPDATE', 'DELETE') then
    update nodes set version = version + 1 where id = old.node_id;
  end if;
  if tg_op in ('INSERT', 'UPDATE') and (tg_op = 'INSERT' or new.node_id is distinct from old.node_id) then
    update nodes set version = version + 1 where id = new.node_id;
  end if;
  return null;
end $$;
create trigger interfaces_bump after insert or update or delete on interfaces for each row execute function plinth_bump_node();
create trigger block_devices_bump after insert or update or delete on block_devices for each row execute function plinth_bump_node();
create trigger node_tags_bump after insert or update or delete on node_tags for each row execute function plinth_bump_node();

create function plinth_bump_epoch() returns trigger language plpgsql as $$
begin
  update render_epoch set epoch = epoch + 1 where id = 1;
  return null;
end $$;
create trigger zones_epoch after update or delete on zones for each statement execute function plinth_bump_epoch();
create trigger pools_epoch after update or delete on resource_pools for each statement execute function plinth_bump_epoch();
create trigger domains_epoch after update or delete on domains for each statement execute function plinth_bump_epoch();
create trigger tags_epoch after update or delete on tags for each statement execute function plinth_bump_epoch();
create trigger vlans_epoch after update or delete on vlans for each statement execute function plinth_bump_epoch();
create trigger fabrics_epoch after update or delete on fabrics for each statement execute function plinth_bump_epoch();
