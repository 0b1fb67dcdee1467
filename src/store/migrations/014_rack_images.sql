-- Migration 014: a rack's boot image sync, as it last reported it over its link (images.progress):
-- {state: syncing|synced|failed, reason?, digest?, files_done, files_total, bytes_done, bytes_total,
--  held_back, shared?, updated}. Null until the rack reports (a rack without image sync never does).

alter table rack_status add column image_sync jsonb;
