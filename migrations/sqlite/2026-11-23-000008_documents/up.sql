-- Files attached to a dossier: the applicant's documents (at intake or as a supplement) and
-- the result. The bytes live in the document store, named by their SHA-256; a row here is
-- written only once its file is complete and synced.
CREATE TABLE dossier_documents (
    id TEXT PRIMARY KEY NOT NULL,
    dossier_id TEXT NOT NULL REFERENCES dossiers(id),
    kind TEXT NOT NULL,
    required_index INTEGER,
    filename TEXT NOT NULL,
    media_type TEXT NOT NULL,
    size_bytes BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    digitised BOOLEAN NOT NULL,
    uploaded_by TEXT REFERENCES users(id),
    uploaded_at TIMESTAMP NOT NULL
);
CREATE INDEX dossier_documents_dossier ON dossier_documents(dossier_id, uploaded_at);
-- The flags the service index reads per dossier: every document it was received with has an
-- electronic copy (digitised at intake), and the result is electronic.
ALTER TABLE dossiers ADD COLUMN documents_digitised BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE dossiers ADD COLUMN result_electronic BOOLEAN NOT NULL DEFAULT FALSE;
