-- Mutual aid (互助保障, issue #14): a union's plan (accident, hospitalisation, critical illness)
-- with a coverage period, a premium per person paid by the union or the member, a benefit
-- schedule and the worker groups it is for; enrolments of members (one per person per plan,
-- counted under the member's union); claims of enrolled members for an incident in their
-- coverage (one per incident), reviewed entered → checked → approved / rejected → paid.
CREATE TABLE aid_plans (
    id          BLOB PRIMARY KEY,
    org_id      BLOB NOT NULL REFERENCES org_units (id),   -- the union that runs the plan
    name        TEXT NOT NULL,
    kind        TEXT NOT NULL,        -- accident | hospital | critical_illness | other
    starts_on   DATE NOT NULL,
    ends_on     DATE NOT NULL,
    premium_fen BIGINT NOT NULL,      -- per person
    payer       TEXT NOT NULL,        -- union (a gift) | member
    benefits    TEXT NOT NULL,        -- JSON [{"event": "death", "amount_fen": 100000000}]: fixed sums per event type
    cap_fen     BIGINT NOT NULL,      -- the most one person may receive from the plan (0: the schedule only)
    groups      TEXT NOT NULL DEFAULT '',  -- worker group codes it is for, comma-separated; '' = every group
    insurer     TEXT NOT NULL DEFAULT '',
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);
CREATE INDEX aid_plans_org ON aid_plans (org_id, starts_on);

CREATE TABLE aid_enrolments (
    id            BLOB PRIMARY KEY,
    plan_id       BLOB NOT NULL REFERENCES aid_plans (id),
    person_id     BLOB NOT NULL REFERENCES people (id),
    membership_id BLOB NOT NULL REFERENCES memberships (id),
    org_id        BLOB NOT NULL REFERENCES org_units (id),   -- the member's union when enrolled
    covered_from  DATE NOT NULL,
    covered_to    DATE NOT NULL,
    premium_fen   BIGINT NOT NULL,
    created_at    BIGINT NOT NULL,
    UNIQUE (plan_id, person_id)
);
CREATE INDEX aid_enrolments_person ON aid_enrolments (person_id);
CREATE INDEX aid_enrolments_org ON aid_enrolments (org_id);

CREATE TABLE aid_claims (
    id            BLOB PRIMARY KEY,
    enrolment_id  BLOB NOT NULL REFERENCES aid_enrolments (id),
    org_id        BLOB NOT NULL REFERENCES org_units (id),   -- the enrolment's union: who sees it
    claim_no      TEXT NOT NULL UNIQUE,
    incident_on   DATE NOT NULL,
    event         TEXT NOT NULL,      -- the benefit schedule's event type
    summary       TEXT NOT NULL DEFAULT '',
    status        TEXT NOT NULL,      -- entered | checked | approved | rejected | paid
    claimed_fen   BIGINT NOT NULL,
    approved_fen  BIGINT NOT NULL DEFAULT 0,
    paid_fen      BIGINT NOT NULL DEFAULT 0,
    reason        TEXT,               -- why it was rejected
    filed_on      DATE NOT NULL,
    decided_on    DATE,               -- approved or rejected
    paid_on       DATE,
    source        TEXT NOT NULL,      -- member | cadre
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL,
    UNIQUE (enrolment_id, incident_on, event)   -- one claim per incident
);
CREATE INDEX aid_claims_org ON aid_claims (org_id, status, filed_on);

CREATE TABLE aid_claim_events (
    id       BLOB PRIMARY KEY,
    claim_id BLOB NOT NULL REFERENCES aid_claims (id),
    at       BIGINT NOT NULL,
    status   TEXT NOT NULL,
    amount_fen BIGINT,
    text     TEXT NOT NULL DEFAULT '',
    actor    TEXT NOT NULL
);
CREATE INDEX aid_claim_events_claim ON aid_claim_events (claim_id, at);
