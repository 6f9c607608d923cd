-- Hardship files (困难职工档案): a member's file kept by their union, with a level, causes,
-- household, a yearly review and assistance records. Sensitive: staff of the union and its parents
-- only, and every view is audited.
CREATE TABLE hardship_files (
    id                   UUID PRIMARY KEY,
    org_id               UUID NOT NULL REFERENCES org_units (id),   -- the member's union when opened (scope)
    person_id            UUID NOT NULL REFERENCES people (id),
    membership_id        UUID NOT NULL REFERENCES memberships (id),
    level                TEXT NOT NULL,              -- deep | relative | accident
    causes               TEXT NOT NULL DEFAULT '',   -- comma-separated codes: illness,disability,...
    household_size       BIGINT NOT NULL,
    household_income_fen BIGINT NOT NULL,            -- the household's yearly income
    opened_on            DATE NOT NULL,
    review_on            DATE NOT NULL,              -- next yearly review due
    reviewed_on          DATE,                       -- last review
    status               TEXT NOT NULL,              -- open | closed
    closed_on            DATE,
    close_reason         TEXT NOT NULL DEFAULT '',
    note                 TEXT NOT NULL DEFAULT '',
    assisted_fen         BIGINT NOT NULL DEFAULT 0,  -- sum of the assistance records' amounts
    assistance_count     BIGINT NOT NULL DEFAULT 0,
    created_by           TEXT NOT NULL,
    created_at           BIGINT NOT NULL,
    updated_at           BIGINT NOT NULL
);
-- One open file per person.
CREATE UNIQUE INDEX hardship_files_open ON hardship_files (person_id) WHERE status = 'open';
CREATE INDEX hardship_files_org ON hardship_files (org_id, status, review_on);

CREATE TABLE hardship_assistance (
    id          UUID PRIMARY KEY,
    file_id     UUID NOT NULL REFERENCES hardship_files (id),
    kind        TEXT NOT NULL,               -- money | goods | job | school
    amount_fen  BIGINT NOT NULL DEFAULT 0,   -- money given, or the goods' value
    description TEXT NOT NULL DEFAULT '',
    given_on    DATE NOT NULL,
    recorded_by TEXT NOT NULL,
    at          BIGINT NOT NULL
);
CREATE INDEX hardship_assistance_file ON hardship_assistance (file_id, given_on);
