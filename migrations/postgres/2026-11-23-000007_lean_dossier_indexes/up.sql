-- Every transition rewrites the dossier row into each of its indexes, so keep them few:
-- the applicant's index also serves their list (newest first), and both applicant indexes
-- skip dossiers taken at the desk or by post (no account, no idempotency key).
DROP INDEX dossiers_applicant;
DROP INDEX dossiers_idempotency;
CREATE UNIQUE INDEX dossiers_idempotency ON dossiers(applicant_user_id, idempotency_key)
    WHERE idempotency_key IS NOT NULL;
CREATE INDEX dossiers_applicant ON dossiers(applicant_user_id, created_at)
    WHERE applicant_user_id IS NOT NULL;
