DROP INDEX dossiers_receiving;
ALTER TABLE dossiers DROP COLUMN receiving_unit_id;
