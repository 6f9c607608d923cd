-- Rights cases (维权, issue #14): a worker's request for help with wages, an injury, a dismissal,
-- a platform's deduction or social insurance, accepted by a union (whose subtree's cadres see it),
-- moved through consultation, mediation, legal aid, arbitration and litigation with a dated
-- timeline, and closed with an outcome and the amounts claimed and recovered (in fen).
CREATE TABLE rights_cases (
    id            BLOB PRIMARY KEY,
    org_id        BLOB NOT NULL REFERENCES org_units (id),   -- the union that accepted the case
    case_no       TEXT NOT NULL,
    kind          TEXT NOT NULL,      -- wages | injury | dismissal | platform_penalty | social_insurance | other
    stage         TEXT NOT NULL,      -- consultation | mediation | legal_aid | arbitration | litigation
    status        TEXT NOT NULL,      -- open | closed
    person_key    TEXT NOT NULL,      -- keyed hash of the ID number, else of the phone: one worker
    membership_id BLOB REFERENCES memberships (id),          -- when a member asked
    name          TEXT NOT NULL,
    id_sealed     BLOB,                 -- the ID number, when given, sealed like a member's
    id_mask       TEXT,
    phone         TEXT NOT NULL,
    employer      TEXT,
    employer_uscc TEXT,
    summary       TEXT NOT NULL DEFAULT '',
    claimed_fen   BIGINT NOT NULL DEFAULT 0,
    recovered_fen BIGINT NOT NULL DEFAULT 0,
    opened_on     DATE NOT NULL,
    closed_on     DATE,
    outcome       TEXT,               -- supported | partly | not_supported | withdrawn | mediated
    handler       TEXT,               -- who handles it (a cadre's or lawyer's name)
    source        TEXT NOT NULL,      -- member | cadre | import
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL,
    UNIQUE (org_id, case_no)
);
CREATE INDEX rights_cases_org ON rights_cases (org_id, status, opened_on);
CREATE INDEX rights_cases_closed ON rights_cases (closed_on);
CREATE INDEX rights_cases_membership ON rights_cases (membership_id);

-- The case's timeline: opened, notes, stage moves, hearings and deadlines (with their day),
-- documents, assignment, closing and reopening.
CREATE TABLE case_events (
    id       BLOB PRIMARY KEY,
    case_id  BLOB NOT NULL REFERENCES rights_cases (id),
    at       BIGINT NOT NULL,
    kind     TEXT NOT NULL,
    on_date  DATE,
    text     TEXT NOT NULL DEFAULT '',
    actor    TEXT NOT NULL
);
CREATE INDEX case_events_case ON case_events (case_id, at);
