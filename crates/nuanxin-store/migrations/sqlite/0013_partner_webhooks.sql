-- Partner webhooks (issue #13): a partner (a platform's or a licence window's API account) that
-- set a webhook is told when the outcome of one of its pushes changes (approved, rejected,
-- transferred, left, moved to another union). Each notice is a delivery row until the partner's
-- server acknowledges it (2xx), retried with growing pauses for about three days: nothing is
-- dropped silently, and the partner can read its deliveries back.
CREATE TABLE partner_webhooks (
    account_id BLOB PRIMARY KEY REFERENCES accounts (id),
    url        TEXT NOT NULL,
    secret     TEXT NOT NULL,                     -- HMAC-SHA256 key of the signatures
    created_at BIGINT NOT NULL
);

-- The outcome of each push as the partner last heard it (the push's answer, then each notice).
CREATE TABLE partner_outcomes (
    request_key TEXT PRIMARY KEY,                 -- partner:{account}:{ref}, as on the membership
    account_id  BLOB NOT NULL,
    outcome     TEXT NOT NULL,
    org_code    TEXT,
    member_no   TEXT,
    changed_at  BIGINT NOT NULL
);

CREATE TABLE webhook_deliveries (
    id           BLOB PRIMARY KEY,
    account_id   BLOB NOT NULL REFERENCES accounts (id),
    request_key  TEXT NOT NULL,
    payload      TEXT NOT NULL,                   -- the JSON body, signed when sent
    created_at   BIGINT NOT NULL,
    attempts     BIGINT NOT NULL DEFAULT 0,
    next_at      BIGINT NOT NULL,
    delivered_at BIGINT,
    failed_at    BIGINT,                          -- the last attempt failed too
    last_error   TEXT
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_at) WHERE delivered_at IS NULL AND failed_at IS NULL;
CREATE INDEX webhook_deliveries_account ON webhook_deliveries (account_id, created_at);

-- Partners' memberships by when they last changed, kept for partners' rows only: the webhook
-- scan reads the recent ones, and joins by QR code pay nothing for it.
CREATE INDEX memberships_partner_updated ON memberships (updated_at)
    WHERE request_key >= 'partner:' AND request_key < 'partner;';
