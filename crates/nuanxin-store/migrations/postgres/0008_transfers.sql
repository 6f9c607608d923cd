-- Transfers (转会) both ways (issue #13): a transfer is asked for by the worker (joining elsewhere,
-- or from /me) or by a cadre of the member's union; the old union sees it and may object within
-- its objection window (transfer_objection_days, 7 when not set); it completes when the receiving
-- union has accepted and the old union has let it go or not objected in time. An objection goes
-- to the lowest common parent federation, whose decision ends it.
CREATE TABLE transfers (
    id              UUID PRIMARY KEY,
    from_membership UUID NOT NULL REFERENCES memberships (id),
    to_membership   UUID NOT NULL REFERENCES memberships (id),   -- the request at the receiving union
    from_org_id     UUID NOT NULL REFERENCES org_units (id),
    to_org_id       UUID NOT NULL REFERENCES org_units (id),
    status          TEXT NOT NULL,   -- requested | accepted | objected | completed | rejected | withdrawn
    requested_side  TEXT NOT NULL,   -- worker | from (a cadre of the old union or above)
    requested_by    TEXT NOT NULL,
    reason          TEXT,
    requested_at    BIGINT NOT NULL,
    objection_until DATE NOT NULL,   -- the last day the old union may object
    accepted_at     BIGINT,          -- by the receiving union
    released_at     BIGINT,          -- the old union let it go before the window closed
    objected_at     BIGINT,
    objection       TEXT,
    decided_at      BIGINT,
    decided_by      TEXT,
    outcome         TEXT,            -- accept | reject (the parent federation's decision)
    completed_at    BIGINT,
    updated_at      BIGINT NOT NULL
);
CREATE INDEX transfers_from ON transfers (from_org_id, status);
CREATE INDEX transfers_to ON transfers (to_org_id, status);
CREATE UNIQUE INDEX transfers_request ON transfers (to_membership);
CREATE INDEX transfers_due ON transfers (status, objection_until);
ALTER TABLE org_units ADD COLUMN transfer_objection_days INTEGER;
