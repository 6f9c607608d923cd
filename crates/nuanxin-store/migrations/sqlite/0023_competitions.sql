-- Skills competitions (劳动竞赛 / 技能比武): a union's competition on a day, members entered in its
-- events with a score; ranks follow the scores within each event (higher first, ties share).
CREATE TABLE competitions (
    id         BLOB PRIMARY KEY,
    org_id     BLOB NOT NULL REFERENCES org_units (id),   -- the organising union (scope)
    name       TEXT NOT NULL,
    held_on    DATE NOT NULL,
    place      TEXT NOT NULL DEFAULT '',
    events     TEXT NOT NULL,             -- the events' names, one per line
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX competitions_org ON competitions (org_id, held_on);

CREATE TABLE competition_entries (
    id             BLOB PRIMARY KEY,
    competition_id BLOB NOT NULL REFERENCES competitions (id),
    event          TEXT NOT NULL,
    person_id      BLOB NOT NULL REFERENCES people (id),
    membership_id  BLOB NOT NULL REFERENCES memberships (id),
    score_centi    BIGINT NOT NULL,       -- the score in hundredths (98.5 → 9850)
    recorded_by    TEXT NOT NULL,
    at             BIGINT NOT NULL,
    UNIQUE (competition_id, event, person_id)
);
