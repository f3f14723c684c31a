ALTER TABLE dossier_events DROP COLUMN holder_unit_id;
