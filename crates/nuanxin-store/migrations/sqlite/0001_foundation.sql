-- Foundation: regions, the org network, accounts with scoped assignments, sessions, API tokens,
-- shared rate limits and the audit log. Ids are UUIDv7 made by the application; instants are
-- Unix milliseconds (BIGINT); calendar days are DATE.

CREATE TABLE regions (
    code        TEXT PRIMARY KEY,          -- short prefix form: 2 province, 4 city, 6 county, 9 township, 12 village
    name        TEXT NOT NULL,
    level       SMALLINT NOT NULL,         -- 1 province .. 5 village
    parent_code TEXT REFERENCES regions (code)
);
CREATE INDEX regions_parent ON regions (parent_code, code);

CREATE TABLE org_units (
    id            BLOB PRIMARY KEY,
    code          TEXT NOT NULL UNIQUE,
    name          TEXT NOT NULL,
    kind          TEXT NOT NULL,           -- federation | industry_federation | joint_union | enterprise_union
    joint_kind    TEXT,
    industry      TEXT,
    parent_id     BLOB REFERENCES org_units (id),
    path          TEXT NOT NULL,           -- materialised path of codes: /3715/371502/
    depth         INTEGER NOT NULL,
    region_code   TEXT NOT NULL REFERENCES regions (code),
    founded_on    DATE,
    status        TEXT NOT NULL,           -- active | dissolved
    dissolved_on  DATE,
    contact_name  TEXT,
    contact_phone TEXT,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL
);
-- Subtree ranges and their counts read this index alone (paths are unique as codes are).
CREATE INDEX org_units_path ON org_units (path, status);
CREATE INDEX org_units_parent ON org_units (parent_id, code);
CREATE INDEX org_units_region ON org_units (region_code);

CREATE TABLE org_history (
    id             BLOB PRIMARY KEY,
    org_id         BLOB NOT NULL REFERENCES org_units (id),
    at             BIGINT NOT NULL,
    event          TEXT NOT NULL,          -- created | updated | moved | dissolved
    from_parent_id BLOB,
    to_parent_id   BLOB,
    from_path      TEXT,
    to_path        TEXT,
    actor_id       BLOB
);
CREATE INDEX org_history_org ON org_history (org_id, at);

CREATE TABLE accounts (
    id            BLOB PRIMARY KEY,
    username      TEXT NOT NULL UNIQUE,
    display_name  TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    failed_logins INTEGER NOT NULL DEFAULT 0,
    locked_until  BIGINT,
    disabled      BOOLEAN NOT NULL DEFAULT FALSE,
    created_at    BIGINT NOT NULL
);

CREATE TABLE assignments (
    id         BLOB PRIMARY KEY,
    account_id BLOB NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    org_id     BLOB NOT NULL REFERENCES org_units (id),
    role       TEXT NOT NULL,              -- admin | staff | viewer
    created_at BIGINT NOT NULL,
    UNIQUE (account_id, org_id)
);
CREATE INDEX assignments_org ON assignments (org_id);

CREATE TABLE sessions (
    token_hash   TEXT PRIMARY KEY,         -- SHA-256 of the cookie value; the value itself is never stored
    account_id   BLOB NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    csrf_token   TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL,
    ip           TEXT,
    user_agent   TEXT
);
CREATE INDEX sessions_account ON sessions (account_id);

CREATE TABLE api_tokens (
    id           BLOB PRIMARY KEY,
    account_id   BLOB NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    token_hash   TEXT NOT NULL UNIQUE,
    created_at   BIGINT NOT NULL,
    last_used_at BIGINT,
    revoked_at   BIGINT
);

CREATE TABLE rate_limits (
    key          TEXT PRIMARY KEY,
    window_start BIGINT NOT NULL,
    hits         BIGINT NOT NULL
);

CREATE TABLE audit_log (
    id         BLOB PRIMARY KEY,
    at         BIGINT NOT NULL,
    actor_id   BLOB,
    actor      TEXT NOT NULL,              -- username, token name or "operator"
    ip         TEXT,
    action     TEXT NOT NULL,              -- e.g. orgs.create
    subject    TEXT NOT NULL,              -- e.g. the org code
    scope_path TEXT,                       -- path of the unit concerned: who may read this row
    detail     TEXT NOT NULL               -- JSON
);
CREATE INDEX audit_log_scope ON audit_log (scope_path, at);
CREATE INDEX audit_log_at ON audit_log (at);
