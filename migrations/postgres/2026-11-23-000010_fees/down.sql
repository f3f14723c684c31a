ALTER TABLE dossiers DROP COLUMN fee_vnd;
