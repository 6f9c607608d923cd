-- Grid reports (网格随手拍): riders enrolled as part-time grid reporters (兼职网格员) report road
-- hazards and the like from the phone; each report is routed by its location to a community
-- (社区/村: a village-level region) and that community's grid office (an API account with the
-- role `grid_office`), which forwards it to a responsible body of the county with a deadline and
-- posts its progress back. Every step is a dated row of grid_report_steps.

-- The communities reports can be routed to: a point (WGS-84) and, when loaded, a boundary ring.
CREATE TABLE grid_communities (
    region_code    TEXT PRIMARY KEY REFERENCES regions (code),  -- village level (12 digits)
    lat            DOUBLE PRECISION NOT NULL,
    lng            DOUBLE PRECISION NOT NULL,
    boundary       TEXT,                  -- JSON [[lng, lat], …], one closed ring, WGS-84
    office_account UUID REFERENCES accounts (id),
    org_id         UUID NOT NULL REFERENCES org_units (id),     -- the union that set it up
    updated_at     BIGINT NOT NULL
);
CREATE INDEX grid_communities_office ON grid_communities (office_account);

-- The bodies a grid office forwards to, per county (道路、交警、城管、消防、公安).
CREATE TABLE grid_bodies (
    id             UUID PRIMARY KEY,
    county_code    TEXT NOT NULL REFERENCES regions (code),
    kind           TEXT NOT NULL,         -- roads | traffic_police | city_management | fire | public_security
    name           TEXT NOT NULL,
    deadline_hours INTEGER NOT NULL,
    org_id         UUID NOT NULL REFERENCES org_units (id),
    created_at     BIGINT NOT NULL,
    UNIQUE (county_code, kind)
);

-- Members who report: flagged by a cadre, or self-enrolled and approved; points for resolved reports.
CREATE TABLE grid_reporters (
    membership_id UUID PRIMARY KEY REFERENCES memberships (id),
    status        TEXT NOT NULL,          -- pending | approved | revoked
    points        BIGINT NOT NULL DEFAULT 0,
    requested_at  BIGINT NOT NULL,
    decided_at    BIGINT,
    decided_by    TEXT
);
CREATE INDEX grid_reporters_status ON grid_reporters (status);

CREATE TABLE grid_reports (
    id              UUID PRIMARY KEY,
    report_no       TEXT NOT NULL UNIQUE,
    membership_id   UUID NOT NULL REFERENCES memberships (id),
    org_id          UUID NOT NULL REFERENCES org_units (id),    -- the reporter's union
    client_key      TEXT NOT NULL,        -- the phone's draft key: a resent draft is one report
    category        TEXT NOT NULL,        -- road_hazard | traffic_light | missing_sign | building_access | public_security | fire | other
    details         TEXT NOT NULL,
    lat             DOUBLE PRECISION,     -- where, when the reporter shared it (GPS or a pin)
    lng             DOUBLE PRECISION,
    address         TEXT NOT NULL DEFAULT '',
    township_code   TEXT REFERENCES regions (code),
    community_code  TEXT REFERENCES regions (code),             -- routed to (NULL: a cadre routes it)
    routed_by       TEXT NOT NULL,        -- boundary | nearest | township | unrouted
    body_id         UUID REFERENCES grid_bodies (id),
    due_at          BIGINT,
    status          TEXT NOT NULL,        -- received | forwarded | in_progress | resolved | rejected | reopened
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL,
    resolved_at     BIGINT,
    UNIQUE (membership_id, client_key)
);
CREATE INDEX grid_reports_org ON grid_reports (org_id, created_at);
CREATE INDEX grid_reports_community ON grid_reports (community_code, updated_at);
CREATE INDEX grid_reports_status ON grid_reports (status, category);
CREATE INDEX grid_reports_resolved ON grid_reports (resolved_at);

CREATE TABLE grid_report_steps (
    id         UUID PRIMARY KEY,
    report_id  UUID NOT NULL REFERENCES grid_reports (id),
    at         BIGINT NOT NULL,
    status     TEXT NOT NULL,
    note       TEXT NOT NULL DEFAULT '',
    actor      TEXT NOT NULL
);
CREATE INDEX grid_report_steps_report ON grid_report_steps (report_id, at);

-- Collective contracts (集体合同): by industry and region (行业性、区域性) or by enterprise, with
-- the groups they cover, their key terms and the signed scan (a PDF or photo in the uploads folder).
CREATE TABLE collective_contracts (
    id             UUID PRIMARY KEY,
    org_id         UUID NOT NULL REFERENCES org_units (id),     -- the union that signed
    kind           TEXT NOT NULL,         -- industry | regional | enterprise
    title          TEXT NOT NULL,
    employer       TEXT NOT NULL,         -- the other party (an association, an enterprise)
    region_code    TEXT REFERENCES regions (code),
    signed_on      DATE NOT NULL,
    expires_on     DATE NOT NULL,
    groups         TEXT NOT NULL,         -- worker groups covered, comma-separated codes
    head_count     BIGINT NOT NULL,       -- workers covered, as the contract states
    min_piece_fen  BIGINT,                -- minimum piece rate (per order), in fen
    max_hours      INTEGER,               -- maximum working hours a day
    rest_days      INTEGER,               -- rest days a month
    insurance      TEXT NOT NULL DEFAULT '',
    heat_fen       BIGINT,                -- heat allowance a month, in fen
    scan_type      TEXT,                  -- application/pdf | image/jpeg
    created_by     TEXT NOT NULL,
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL
);
CREATE INDEX collective_contracts_org ON collective_contracts (org_id, expires_on);
