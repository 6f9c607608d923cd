-- Notices (通知公告): a union publishes to the members of its subtree (optionally one worker
-- group) from a day until an expiry; members read them on /me, and each first read is kept.
CREATE TABLE notices (
    id           UUID PRIMARY KEY,
    org_id       UUID NOT NULL REFERENCES org_units (id),   -- the publishing union (audience: its subtree)
    title        TEXT NOT NULL,
    body         TEXT NOT NULL,
    worker_group TEXT NOT NULL DEFAULT '',   -- '' for every group
    publish_on   DATE NOT NULL,
    expire_on    DATE,
    withdrawn_at BIGINT,
    created_by   TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL
);
CREATE INDEX notices_org ON notices (org_id, publish_on);

CREATE TABLE notice_reads (
    notice_id UUID NOT NULL REFERENCES notices (id),
    person_id UUID NOT NULL REFERENCES people (id),
    read_at   BIGINT NOT NULL,
    PRIMARY KEY (notice_id, person_id)
);

-- Honours (荣誉): awards on a member's record (五一劳动奖章, 最美骑手 …) by level and year; shown on
-- the union's public showcase page only when the member opts in.
CREATE TABLE honours (
    id            UUID PRIMARY KEY,
    person_id     UUID NOT NULL REFERENCES people (id),
    membership_id UUID NOT NULL REFERENCES memberships (id),
    org_id        UUID NOT NULL REFERENCES org_units (id),   -- the member's union when recorded (scope)
    kind          TEXT NOT NULL,      -- may_day_medal | model_worker | craftsman | exemplary | competition | other
    level         TEXT NOT NULL,      -- national | provincial | city | county
    year          BIGINT NOT NULL,
    title         TEXT NOT NULL,      -- the honour as awarded: 2026年度聊城市最美骑手
    citation      TEXT NOT NULL DEFAULT '',
    public        BOOLEAN NOT NULL DEFAULT FALSE,   -- the member's own opt-in to the showcase
    created_by    TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL
);
CREATE INDEX honours_org ON honours (org_id, year);
CREATE INDEX honours_person ON honours (person_id);
