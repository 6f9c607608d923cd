-- Liaison visits (包片联系, issue #13): a leader assigned to units (role 'liaison': reads like a
-- viewer) records a visit and a note on a unit or on a census enterprise of the subtree.
CREATE TABLE liaison_visits (
    id            UUID PRIMARY KEY,
    org_id        UUID NOT NULL REFERENCES org_units (id),   -- the unit visited, or the enterprise's owner
    enterprise_id UUID REFERENCES enterprises (id),          -- set when an enterprise was visited
    actor         TEXT NOT NULL,
    visited_on    DATE NOT NULL,
    note          TEXT NOT NULL,
    created_at    BIGINT NOT NULL
);
CREATE INDEX liaison_visits_org ON liaison_visits (org_id, visited_on);
CREATE INDEX liaison_visits_enterprise ON liaison_visits (enterprise_id, visited_on);
