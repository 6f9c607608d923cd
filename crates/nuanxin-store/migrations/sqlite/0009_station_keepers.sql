-- Station keepers (驿站管理员, issue #13): an account whose post is role 'keeper' at a unit holds
-- no subtree of the org tree; it keeps the one station named here (logs visits there, edits its
-- hours, status and amenities). A keeper without a station keeps nothing until one is assigned.
ALTER TABLE assignments ADD COLUMN station_id BLOB REFERENCES stations (id);
