DROP INDEX dossiers_applicant;
DROP INDEX dossiers_idempotency;
CREATE UNIQUE INDEX dossiers_idempotency ON dossiers(applicant_user_id, idempotency_key);
CREATE INDEX dossiers_applicant ON dossiers(applicant_user_id);
