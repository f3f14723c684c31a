ALTER TABLE dossiers DROP COLUMN document_quantities;
