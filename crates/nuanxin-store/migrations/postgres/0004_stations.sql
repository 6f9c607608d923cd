-- Stations (SPEC 3.6): places where outdoor workers find water, charging, rest; visits logged by
-- keepers; a change log that every server process follows to keep its in-memory index current.

CREATE TABLE stations (
    id           UUID PRIMARY KEY,
    org_id       UUID NOT NULL REFERENCES org_units (id),   -- the union that runs it (scope)
    name         TEXT NOT NULL,
    kind         TEXT NOT NULL,          -- StationType code
    lat          DOUBLE PRECISION NOT NULL,  -- WGS-84
    lng          DOUBLE PRECISION NOT NULL,  -- WGS-84
    address      TEXT NOT NULL,
    hours        TEXT NOT NULL,          -- OpeningHours as JSON (structured form)
    hours_text   TEXT NOT NULL,          -- as the cadre wrote it, shown back in the form
    amenities    TEXT NOT NULL,          -- codes separated by commas, in Amenity::ALL order
    host         TEXT,                   -- bank, police kiosk, battery-swap station, mall...
    keeper       TEXT,
    phone        TEXT,
    status       TEXT NOT NULL,          -- open | closed (closed stations leave the index)
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL
);
CREATE INDEX stations_org ON stations (org_id, status);
CREATE INDEX stations_name ON stations (name);

-- One row per change to a station's location or status, in commit order on SQLite; PostgreSQL
-- sequences may commit out of order, which the follower handles (stations/live.rs).
CREATE TABLE station_changes (
    seq        BIGSERIAL PRIMARY KEY,
    station_id UUID NOT NULL
);

CREATE TABLE station_visits (
    id            UUID PRIMARY KEY,
    station_id    UUID NOT NULL REFERENCES stations (id),
    visited_at    BIGINT NOT NULL,
    visited_on    DATE NOT NULL,           -- Beijing calendar day, for period figures
    service       TEXT NOT NULL,           -- an Amenity code or 'visit'
    headcount     BIGINT NOT NULL,         -- anonymous visits may count several people
    membership_id UUID REFERENCES memberships (id),  -- when the keeper scanned an e-card
    recorded_by   TEXT NOT NULL
);
CREATE INDEX station_visits_station ON station_visits (station_id, visited_at);
