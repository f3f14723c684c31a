-- The applicant's rating of the service once the result is back (one per dossier).
CREATE TABLE dossier_ratings (
    dossier_id TEXT PRIMARY KEY NOT NULL REFERENCES dossiers(id),
    rating TEXT NOT NULL,
    comment TEXT,
    created_at TIMESTAMP NOT NULL
);
