-- A membership's events are read by membership: the member's history, and the recount's check
-- that an ending follows no retention. Without this index each such read scans every event.
CREATE INDEX membership_events_membership ON membership_events (membership_id);
