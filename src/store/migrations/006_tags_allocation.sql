-- Migration 006: commissioning details for tag definitions, the tag re-evaluation queue, and an index
-- for allocation's cost ordering.

-- The XML a node's commissioning produced (`lshw -xml`, lldpd's XML): what tag definitions read.
create table node_details (
  node_id integer not null references nodes(id) on delete cascade,
  kind    text not null check (kind in ('lshw', 'lldp')),
  xml     text not null,
  updated timestamptz not null default now(),
  primary key (node_id, kind)
);
create trigger node_details_bump after insert or update or delete on node_details for each row execute function plinth_bump_node();

-- Work for the tag evaluator (services/tag-evaluation): one row per tag whose definition was created or
-- changed (evaluate it on every node), or per node whose commissioning data arrived (evaluate every
-- defined tag on it). Claimed with SKIP LOCKED and a lease, so any region may do the work once.
create table tag_evaluations (
  id            bigserial primary key,
  tag_id        integer references tags(id) on delete cascade,
  node_id       integer references nodes(id) on delete cascade,
  claimed_until timestamptz,
  created       timestamptz not null default now(),
  check ((tag_id is null) <> (node_id is null))
);
create index tag_evaluations_tag on tag_evaluations(tag_id) where tag_id is not null;
create index tag_evaluations_node on tag_evaluations(node_id) where node_id is not null;
create trigger tag_evaluations_bump after insert or update or delete on tag_evaluations for each row execute function plinth_bump_node();

-- Whatever writes a tag (API, CLI, SQL), a new or changed definition queues its evaluation.
create function plinth_queue_tag_evaluation() returns trigger language plpgsql as $$
begin
  if new.definition <> '' and (tg_op = 'INSERT' or new.definition is distinct from old.definition) then
    insert into tag_evaluations (tag_id) values (new.id);
  end if;
  return null;
end $$;
create trigger tags_queue_evaluation after insert or update on tags for each row execute function plinth_queue_tag_evaluation();

-- Allocation takes the cheapest Ready machine first.
create index nodes_ready_cost on nodes ((cpu_count + memory / 1024.0), id) where status = 4;
