-- Mass-join events that route (issue #13): an event a federation holds for the unions beneath it
-- sends each joiner to the union of their employer (census, by USCC or exact name), else to a
-- joint union of their work township (one of their group's industry first), else to the event's
-- holding union. Events record who came (attendance) and, when the event hands something out
-- (清凉包), who received it: at most once per person, whoever scans or types them.
ALTER TABLE join_events ADD COLUMN routes BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE join_events ADD COLUMN holding_org_id BLOB REFERENCES org_units (id);
ALTER TABLE join_events ADD COLUMN handout TEXT;
-- Every join through a code asks whether it is a routing event's: by the code, not a scan.
CREATE INDEX join_events_code ON join_events (join_code_id);

CREATE TABLE event_attendance (
    id            BLOB PRIMARY KEY,
    event_id      BLOB NOT NULL REFERENCES join_events (id),
    id_hash       TEXT NOT NULL,                         -- the person (IdVault::lookup_hash)
    membership_id BLOB REFERENCES memberships (id),       -- their membership when they are a member
    name          TEXT NOT NULL,
    checked_in_at BIGINT NOT NULL,
    recorded_by   TEXT NOT NULL,
    handed_at     BIGINT,                                -- when they received the event's handout
    handed_by     TEXT
);
-- One row per person and event: a second scan finds the first.
CREATE UNIQUE INDEX event_attendance_person ON event_attendance (event_id, id_hash);
CREATE INDEX event_attendance_event ON event_attendance (event_id, checked_in_at);
