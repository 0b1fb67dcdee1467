-- Migration 016: `recommission` on custom commissioning scripts (the MAAS scripts API field).
--
-- When such a script passes, the built-in commissioning scripts of that run are queued again so the
-- inventory shows what the script changed (firmware, drivers). The region does that when the machine
-- next fetches its scripts (services/scripts/recommission.ts); a row here says the passing result's
-- recommission has been applied, so it is applied once.
create table script_result_recommissions (
  script_result_id integer primary key references script_results(id) on delete cascade,
  applied          timestamptz not null default now()
);
