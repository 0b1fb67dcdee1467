-- Migration 005: the machine lifecycle. Long actions (commission, deploy, release/erase, rescue, test,
-- power commands, bulk jobs) are durable workflows: one row each, a list of idempotent steps, claimed by
-- any region process with FOR UPDATE SKIP LOCKED under a lease that the running process heartbeats.
--
-- lane: at most one running workflow per (machine, lane). 'lifecycle' holds the status-changing action,
--       'power' a plain power command, 'bulk' a job over many machines (node_id null).
-- state: running | done | failed | cancelled.
-- run_after: when the current step may run next (a step that waits for the machine parks the workflow
--       until its deadline; a report from the machine wakes it by moving run_after to now).
-- deadline: when the machine's current status times out (node_timeout, or 5 min for releasing and
--       exiting rescue mode); deadline_status is the status it was set for.
-- owner/lease_until: which region process runs the step now, and until when its claim holds.
create table workflows (
  id              bigserial primary key,
  node_id         integer references nodes(id) on delete cascade,
  kind            text not null,
  lane            text not null default 'lifecycle',
  state           text not null default 'running',
  step            integer not null default 0,
  step_name       text not null default '',
  data            jsonb not null default '{}',
  reports         jsonb not null default '[]',
  run_after       timestamptz not null,
  deadline        timestamptz,
  deadline_status integer,
  owner           text,
  lease_until     timestamptz,
  claims          integer not null default 0,
  error           text not null default '',
  created_by      text not null default '',
  created         timestamptz not null default now(),
  updated         timestamptz not null default now(),
  finished        timestamptz
);
create unique index workflows_one_per_lane on workflows(node_id, lane) where state = 'running' and node_id is not null;
create index workflows_due on workflows(run_after) where state = 'running';
create index workflows_node on workflows(node_id, id);

-- Machine versions move when what a workflow means for the machine moves (kind, state, step), not on
-- heartbeats or wake-ups: those touch only owner, lease_until, run_after and claims.
create trigger workflows_bump after insert or delete or update of node_id, kind, state, step on workflows
  for each row execute function plinth_bump_node();

-- The user data given at deploy (base64-decoded when it was valid base64), served later to the machine.
create table node_user_data (
  node_id integer primary key references nodes(id) on delete cascade,
  data    bytea not null,
  updated timestamptz not null default now()
);
create trigger node_user_data_bump after insert or update or delete on node_user_data for each row execute function plinth_bump_node();
