-- Census, coverage and targets (issue #4).
--
-- enterprises: the census (拉网式排查), one row per USCC whatever the number of sources; each
-- source's own version is kept in enterprise_sources for the merge view. owner_org_id is the unit
-- the enterprise counts under: its union when it has one, else the deepest active federation of
-- its region (see census/attribution.rs).
--
-- coverage_counts: the figures of every subtree, maintained in the same transaction as each
-- change (coverage/counts.rs). scope_path is the path of the unit whose whole subtree the row
-- counts; shard spreads hot rows on PostgreSQL (always 0 on SQLite); a figure is the sum over the
-- shards. `nuanxin admin recount` recomputes them from the base tables and repairs differences.

CREATE TABLE enterprises (
    id               UUID PRIMARY KEY,
    uscc             TEXT NOT NULL UNIQUE,
    name             TEXT NOT NULL,
    industry         TEXT NOT NULL,
    staff            BIGINT NOT NULL,
    new_form_workers BIGINT NOT NULL,
    region_code      TEXT COLLATE "C" NOT NULL REFERENCES regions (code),
    address          TEXT,
    has_party_org    BOOLEAN NOT NULL DEFAULT FALSE,
    union_status     TEXT NOT NULL,        -- none | preparing | unionised
    union_org_id     UUID REFERENCES org_units (id),
    unionised_on     DATE,                 -- when it was marked unionised here (new unions in a period)
    operating        BOOLEAN NOT NULL DEFAULT TRUE,
    contact_name     TEXT,
    contact_phone    TEXT,
    source           TEXT NOT NULL,        -- the source of the values shown
    owner_org_id     UUID REFERENCES org_units (id),
    disputed         BOOLEAN NOT NULL DEFAULT FALSE, -- sources disagree: the merge view lists it
    created_at       BIGINT NOT NULL,
    updated_at       BIGINT NOT NULL
);
CREATE INDEX enterprises_owner ON enterprises (owner_org_id, union_status);
CREATE INDEX enterprises_region ON enterprises (region_code);
CREATE INDEX enterprises_union ON enterprises (union_org_id);
CREATE INDEX enterprises_name ON enterprises (name);

CREATE TABLE enterprise_sources (
    id            UUID PRIMARY KEY,
    enterprise_id UUID NOT NULL REFERENCES enterprises (id),
    source        TEXT NOT NULL,
    record        TEXT NOT NULL,           -- JSON of the fields as that source gave them
    recorded_at   BIGINT NOT NULL,
    UNIQUE (enterprise_id, source)
);

ALTER TABLE prospects ADD COLUMN enterprise_id UUID REFERENCES enterprises (id);
ALTER TABLE prospects ADD COLUMN invited_at BIGINT;

CREATE TABLE coverage_counts (
    scope_path TEXT COLLATE "C" NOT NULL,
    metric     TEXT NOT NULL,
    key        TEXT NOT NULL,
    shard      SMALLINT NOT NULL DEFAULT 0,
    n          BIGINT NOT NULL,
    PRIMARY KEY (scope_path, metric, key, shard)
);

-- Targets (层层下达): one per unit, period and metric; a child's share points at the parent's.
CREATE TABLE targets (
    id           UUID PRIMARY KEY,
    org_id       UUID NOT NULL REFERENCES org_units (id),
    metric       TEXT NOT NULL,            -- new_members | new_unions | unionised_enterprises | membership_rate | unionisation_rate
    period_start DATE NOT NULL,
    period_end   DATE NOT NULL,
    value        DOUBLE PRECISION NOT NULL,
    parent_id    UUID REFERENCES targets (id),
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL,
    UNIQUE (org_id, metric, period_start, period_end)
);
CREATE INDEX targets_parent ON targets (parent_id);

-- Contact assignment (包片联系点): the leader responsible for a unit.
CREATE TABLE contact_assignments (
    org_id       UUID PRIMARY KEY REFERENCES org_units (id),
    leader_name  TEXT NOT NULL,
    leader_title TEXT,
    leader_phone TEXT,
    assigned_at  BIGINT NOT NULL
);
