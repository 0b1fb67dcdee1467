-- A machine's metadata key (api_tokens kind 'node') is replaced whenever the machine changes hands, as
-- MAAS clears its NodeKey on an owner change: whatever the previous owner's environment still runs must
-- not read the next owner's metadata nor report into the next owner's actions. Every path that sets
-- owner_id (allocate, deploy from Ready, release, mark fixed, commissioning's end) goes through here.
create function plinth_revoke_node_key() returns trigger language plpgsql as $$
begin
  delete from api_tokens where node_id = new.id and kind = 'node';
  return null;
end $$;
create trigger nodes_owner_revokes_key after update of owner_id on nodes
  for each row when (old.owner_id is distinct from new.owner_id) execute function plinth_revoke_node_key();
