-- The micro-library (职工书屋): articles and PDFs a union puts on its members' shelves (the
-- members of its subtree). A PDF's bytes live in the uploads folder, library/<xx>/<id>.pdf.
CREATE TABLE library_items (
    id           BLOB PRIMARY KEY,
    org_id       BLOB NOT NULL REFERENCES org_units (id),   -- the publishing union
    title        TEXT NOT NULL,
    category     TEXT NOT NULL,            -- law | safety | skills | health | other
    body         TEXT NOT NULL DEFAULT '',
    pdf_bytes    BIGINT,                   -- size of the PDF, when there is one
    withdrawn_at BIGINT,
    created_by   TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL
);
CREATE INDEX library_items_org ON library_items (org_id, created_at);
