-- Members and joining (issue #3): the national registry of people (one row per ID number, found
-- by keyed hash, the number itself sealed), memberships with at most one active and one pending
-- per person, membership events for exact period statistics, join codes, SMS codes, member
-- sessions and prospects.

CREATE TABLE people (
    id          UUID PRIMARY KEY,
    id_hash     TEXT NOT NULL UNIQUE,      -- HMAC-SHA256 of the ID number (IdVault::lookup_hash)
    id_sealed   BYTEA NOT NULL,            -- AES-256-GCM, see members/id_vault.rs
    id_mask     TEXT NOT NULL,             -- 3415**********123X: what lists show
    name        TEXT NOT NULL,
    phone       TEXT NOT NULL,
    home_region TEXT COLLATE "C" REFERENCES regions (code),
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);
CREATE INDEX people_phone ON people (phone);

CREATE TABLE join_codes (
    id           UUID PRIMARY KEY,
    org_id       UUID NOT NULL REFERENCES org_units (id),
    code         TEXT NOT NULL UNIQUE,     -- the random token in the QR code's URL
    channel      TEXT NOT NULL,            -- qr | event | window
    auto_approve BOOLEAN NOT NULL DEFAULT FALSE,
    created_at   BIGINT NOT NULL,
    revoked_at   BIGINT
);
CREATE INDEX join_codes_org ON join_codes (org_id);

CREATE TABLE memberships (
    id               UUID PRIMARY KEY,
    person_id        UUID NOT NULL REFERENCES people (id),
    org_id           UUID NOT NULL REFERENCES org_units (id),
    member_no        TEXT UNIQUE,          -- given on approval
    status           TEXT NOT NULL,        -- pending | active | rejected | transferred | lapsed
    worker_group     TEXT NOT NULL,
    employer         TEXT,
    work_region      TEXT COLLATE "C" REFERENCES regions (code),
    channel          TEXT NOT NULL,        -- qr | event | window | partner | import | paper
    join_code_id     UUID REFERENCES join_codes (id),
    transfer_from_id UUID REFERENCES memberships (id),
    request_key      TEXT UNIQUE,          -- the client's idempotency key: a retried submission finds its first answer
    consent_at       BIGINT NOT NULL,
    consent_by       TEXT NOT NULL,
    consent_method   TEXT NOT NULL,
    requested_at     BIGINT NOT NULL,
    joined_on        DATE,
    decided_at       BIGINT,
    decided_by       UUID,
    reason           TEXT,
    updated_at       BIGINT NOT NULL
);
CREATE UNIQUE INDEX memberships_one_active ON memberships (person_id) WHERE status = 'active';
CREATE UNIQUE INDEX memberships_one_pending ON memberships (person_id) WHERE status = 'pending';
CREATE INDEX memberships_org ON memberships (org_id, status);

CREATE TABLE membership_events (
    id            UUID PRIMARY KEY,
    membership_id UUID NOT NULL REFERENCES memberships (id),
    org_id        UUID NOT NULL REFERENCES org_units (id),
    event         TEXT NOT NULL,           -- requested | joined | rejected | transferred_out | lapsed
    at            BIGINT NOT NULL,
    on_date       DATE NOT NULL,           -- the day it counts for in period statistics
    actor         TEXT NOT NULL
);
CREATE INDEX membership_events_org ON membership_events (org_id, on_date);

CREATE TABLE sms_codes (
    id         UUID PRIMARY KEY,
    phone      TEXT NOT NULL,
    code_hash  TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    attempts   BIGINT NOT NULL DEFAULT 0,
    used_at    BIGINT
);
CREATE INDEX sms_codes_phone ON sms_codes (phone, created_at);

CREATE TABLE member_sessions (
    token_hash   TEXT PRIMARY KEY,
    person_id    UUID NOT NULL REFERENCES people (id),
    created_at   BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL
);

CREATE TABLE prospects (
    id           UUID PRIMARY KEY,
    org_id       UUID NOT NULL REFERENCES org_units (id),
    id_hash      TEXT,
    id_sealed    BYTEA,
    name         TEXT NOT NULL,
    phone        TEXT,
    worker_group TEXT NOT NULL,
    employer     TEXT,
    work_region  TEXT COLLATE "C" REFERENCES regions (code),
    source       TEXT NOT NULL,            -- the partner or file it came from
    created_at   BIGINT NOT NULL
);
CREATE UNIQUE INDEX prospects_person ON prospects (id_hash, org_id);
CREATE INDEX prospects_org ON prospects (org_id);

-- Mass-join events (集中入会): each has its own join code; who joined is the memberships made
-- through that code.
CREATE TABLE join_events (
    id           UUID PRIMARY KEY,
    org_id       UUID NOT NULL REFERENCES org_units (id),
    join_code_id UUID NOT NULL REFERENCES join_codes (id),
    name         TEXT NOT NULL,
    held_on      DATE NOT NULL,
    place        TEXT,
    created_at   BIGINT NOT NULL,
    closed_at    BIGINT
);
CREATE INDEX join_events_org ON join_events (org_id, held_on);
CREATE INDEX memberships_join_code ON memberships (join_code_id);
