-- Labour-law checks (法治体检, issue #14) of census enterprises: the day, the union that ran the
-- check, what it found item by item (contracts, wages, hours, social insurance, safety), how many
-- problems were found and how many are rectified, the rectification deadline and the follow-up.
-- A union checks an enterprise at most once a day: a sheet imported again updates its rows.
CREATE TABLE labour_checks (
    id            BLOB PRIMARY KEY,
    enterprise_id BLOB NOT NULL REFERENCES enterprises (id),
    org_id        BLOB NOT NULL REFERENCES org_units (id),   -- the union that ran the check
    checked_on    DATE NOT NULL,
    findings      BIGINT NOT NULL,
    rectified     BIGINT NOT NULL,
    items         TEXT NOT NULL DEFAULT '{}',  -- JSON {item: "ok" | "found" | "rectified"}
    rectify_by    DATE,                        -- the rectification deadline
    follow_up     TEXT NOT NULL DEFAULT '',
    source        TEXT NOT NULL,               -- cadre | import
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL,
    UNIQUE (enterprise_id, org_id, checked_on)
);
CREATE INDEX labour_checks_org ON labour_checks (org_id, checked_on);
