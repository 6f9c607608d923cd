-- Benefit offers (惠工卡 partner merchants): a union's offers to its members at a merchant, in a
-- region, with a validity; the merchant checks a member's e-card at its own verification page
-- (verify_token: the link the union hands the merchant), which answers membership status only.
CREATE TABLE benefit_offers (
    id           BLOB PRIMARY KEY,
    org_id       BLOB NOT NULL REFERENCES org_units (id),   -- the union offering (its members)
    merchant     TEXT NOT NULL,
    address      TEXT NOT NULL DEFAULT '',
    region_code  TEXT REFERENCES regions (code),            -- where the merchant is (township or county)
    discount     TEXT NOT NULL,             -- 凭惠工卡九折
    valid_from   DATE NOT NULL,
    valid_to     DATE,
    verify_token TEXT NOT NULL UNIQUE,
    verified     BIGINT NOT NULL DEFAULT 0, -- checks answered at the merchant
    withdrawn_at BIGINT,
    created_by   TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL
);
CREATE INDEX benefit_offers_org ON benefit_offers (org_id);
