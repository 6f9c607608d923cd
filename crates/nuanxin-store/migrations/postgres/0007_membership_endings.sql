-- Ending a membership (issue #13): a member leaves (退会, status 'left'), keeps their membership
-- without a job (保留会籍, status 'retained'), or a cadre lapses it (status 'lapsed'); each on a
-- date with a reason. The date is when it counts in period figures; the reason is kept on the
-- event so that the member's history reads whole.
ALTER TABLE memberships ADD COLUMN ended_on DATE;
ALTER TABLE membership_events ADD COLUMN reason TEXT;
-- Departures are counted by day and kind ('2026-03-01:left'): the kinds were not told apart
-- before, when transfers out were the only departures.
UPDATE coverage_counts SET key = key || ':transferred_out' WHERE metric = 'left' AND key NOT LIKE '%:%';
