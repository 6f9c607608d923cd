-- Social organisations (社会组织, SPEC 3.9): the registry a union keeps of the social
-- organisations of its area (USCC starting 5: registered with civil affairs), key contacts
-- flagged, their union status and the union they belong to; service projects (服务项目) a union
-- posts for organisations to claim, with the result recorded; and the bands of the monthly
-- allowance of the chairs of organisations' unions with 50 or more members.
CREATE TABLE social_orgs (
    id            UUID PRIMARY KEY,
    uscc          TEXT NOT NULL UNIQUE,
    name          TEXT NOT NULL,
    kind          TEXT NOT NULL,       -- social_group | private_non_enterprise | foundation | other (from the USCC)
    region_code   TEXT REFERENCES regions (code),
    org_id        UUID NOT NULL REFERENCES org_units (id),   -- the union it belongs to
    union_status  TEXT NOT NULL,       -- unionised | in_progress | none
    union_members BIGINT NOT NULL DEFAULT 0,                  -- members of its own union
    key_contact   BOOLEAN NOT NULL DEFAULT FALSE,             -- 重点联系
    contact_name  TEXT NOT NULL DEFAULT '',
    contact_phone TEXT NOT NULL DEFAULT '',
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL
);
CREATE INDEX social_orgs_org ON social_orgs (org_id, name);

CREATE TABLE service_projects (
    id            UUID PRIMARY KEY,
    org_id        UUID NOT NULL REFERENCES org_units (id),   -- the union posting it
    title         TEXT NOT NULL,
    description   TEXT NOT NULL,
    budget_fen    BIGINT NOT NULL,
    starts_on     DATE NOT NULL,
    ends_on       DATE NOT NULL,
    groups        TEXT NOT NULL,       -- worker groups served, comma-separated codes
    status        TEXT NOT NULL,       -- open | claimed | done
    claimed_by    UUID REFERENCES social_orgs (id),
    claimed_at    BIGINT,
    result        TEXT NOT NULL DEFAULT '',
    served        BIGINT,              -- workers served, as reported
    done_at       BIGINT,
    created_by    TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL
);
CREATE INDEX service_projects_org ON service_projects (org_id, status);

-- The allowance bands a union sets for its subtree (the nearest union above that has bands wins).
CREATE TABLE chair_allowance_bands (
    org_id        UUID NOT NULL REFERENCES org_units (id),
    min_members   BIGINT NOT NULL,     -- from this many members of the organisation's union
    monthly_fen   BIGINT NOT NULL,
    PRIMARY KEY (org_id, min_members)
);
