-- The fee asked of the applicant (request_payment), in đồng: the total of every request.
ALTER TABLE dossiers ADD COLUMN fee_vnd BIGINT;
