ALTER TABLE dossiers DROP COLUMN result_electronic;
ALTER TABLE dossiers DROP COLUMN documents_digitised;
DROP TABLE dossier_documents;
