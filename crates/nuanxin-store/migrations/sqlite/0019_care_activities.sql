-- Care activities (送清凉 / 送温暖 / 金秋助学 / 健康筛查 / 节日慰问): organised by a union on a day; members
-- recorded as recipients (at most once per activity), non-members counted by number.
CREATE TABLE care_activities (
    id            BLOB PRIMARY KEY,
    org_id        BLOB NOT NULL REFERENCES org_units (id),   -- the organising union (scope)
    code          TEXT NOT NULL UNIQUE,                      -- HD + six characters, for sheets
    name          TEXT NOT NULL,
    kind          TEXT NOT NULL,      -- summer | winter | school | screening | festival | other
    held_on       DATE NOT NULL,
    place         TEXT NOT NULL DEFAULT '',
    station_id    BLOB REFERENCES stations (id),   -- held at a station: its keeper records recipients too
    co_organisers TEXT NOT NULL DEFAULT '',
    items         TEXT NOT NULL DEFAULT '',   -- what each recipient gets
    budget_fen    BIGINT NOT NULL DEFAULT 0,
    unit_cost_fen BIGINT NOT NULL DEFAULT 0,  -- cost per recipient
    members       BIGINT NOT NULL DEFAULT 0,  -- member receipts (kept with care_receipts)
    non_members   BIGINT NOT NULL DEFAULT 0,  -- counted by number
    created_by    TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL
);
CREATE INDEX care_activities_org ON care_activities (org_id, held_on);

CREATE TABLE care_receipts (
    id            BLOB PRIMARY KEY,
    activity_id   BLOB NOT NULL REFERENCES care_activities (id),
    person_id     BLOB NOT NULL REFERENCES people (id),
    membership_id BLOB NOT NULL REFERENCES memberships (id),
    org_id        BLOB NOT NULL REFERENCES org_units (id),   -- the member's union when received
    received_on   DATE NOT NULL,
    items         TEXT NOT NULL DEFAULT '',
    recorded_by   TEXT NOT NULL,
    at            BIGINT NOT NULL,
    UNIQUE (activity_id, person_id)                          -- once per activity
);
CREATE INDEX care_receipts_person ON care_receipts (person_id);
