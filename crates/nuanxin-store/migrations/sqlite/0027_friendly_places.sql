-- Rider-friendly neighbourhoods (骑手友好街区/社区): a community or street assessed against the
-- checklist (e-bike parking, access to residential compounds, rest points, charging, toilets
-- open to riders), certified at the level the checklist reaches on the day of assessment; shown
-- on the stations map and the worker's nearby page. One assessment per region (the latest).
CREATE TABLE friendly_places (
    id           BLOB PRIMARY KEY,
    org_id       BLOB NOT NULL REFERENCES org_units (id),   -- the union that assessed it
    region_code  TEXT NOT NULL UNIQUE REFERENCES regions (code),  -- a street (9 digits) or community (12)
    name         TEXT NOT NULL,
    lat          DOUBLE PRECISION NOT NULL,                  -- WGS-84, its centre
    lng          DOUBLE PRECISION NOT NULL,
    parking      BOOLEAN NOT NULL,
    access       BOOLEAN NOT NULL,
    rest_points  BOOLEAN NOT NULL,
    charging     BOOLEAN NOT NULL,
    toilets      BOOLEAN NOT NULL,
    level        TEXT NOT NULL,        -- none | basic | good | model
    assessed_on  DATE NOT NULL,
    note         TEXT NOT NULL DEFAULT '',
    created_by   TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL
);
CREATE INDEX friendly_places_point ON friendly_places (lat, lng);
CREATE INDEX friendly_places_org ON friendly_places (org_id);
