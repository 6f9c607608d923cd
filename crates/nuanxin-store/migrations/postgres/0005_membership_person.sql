-- Every join looks up the person's current memberships (active or pending): without an index on
-- the person that was a scan of all memberships per join.
CREATE INDEX memberships_person ON memberships (person_id);
