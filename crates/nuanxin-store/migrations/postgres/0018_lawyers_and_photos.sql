-- A case may be assigned to a lawyer's account (role `lawyer` at a legal-aid station): the lawyer
-- sees only the cases assigned to them. `handler` keeps the name shown on the case.
ALTER TABLE rights_cases ADD COLUMN handler_account UUID REFERENCES accounts (id);
CREATE INDEX rights_cases_handler_account ON rights_cases (handler_account);

-- A case ledger's import reads the cases its numbers name a few hundred at a time, by number.
CREATE INDEX rights_cases_case_no ON rights_cases (case_no);

-- Photos of documents attached to a rights case or a mutual-aid claim. Re-encoded as JPEG on the
-- server (no EXIF: no location, no camera); the file is kept in the uploads folder (outside the
-- database and any web root, `photos/<2 hex>/<id>.jpg`), written and synced before this row
-- commits; served only to those who see the case or claim, and to its worker.
CREATE TABLE attachments (
    id           UUID PRIMARY KEY,
    owner_kind   TEXT NOT NULL,        -- case | claim
    owner_id     UUID NOT NULL,
    content_type TEXT NOT NULL,        -- image/jpeg
    width        INTEGER NOT NULL,
    height       INTEGER NOT NULL,
    size_bytes   BIGINT NOT NULL,
    uploaded_by  TEXT NOT NULL,        -- the actor's name
    uploaded_at  BIGINT NOT NULL
);
CREATE INDEX attachments_owner ON attachments (owner_kind, owner_id);
