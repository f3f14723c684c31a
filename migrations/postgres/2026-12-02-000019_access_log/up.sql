-- Who looked at personal data, when, and what: a dossier read (with its applicant), a printed
-- form, a document downloaded. Written by the request that showed it; never updated.
CREATE TABLE access_log (
    id TEXT PRIMARY KEY NOT NULL,
    at TIMESTAMP NOT NULL,
    actor_id TEXT NOT NULL,
    actor_role TEXT NOT NULL,
    action TEXT NOT NULL,
    dossier_id TEXT NOT NULL,
    document_id TEXT
);
CREATE INDEX access_log_dossier ON access_log(dossier_id, at);
CREATE INDEX access_log_actor ON access_log(actor_id, at);
