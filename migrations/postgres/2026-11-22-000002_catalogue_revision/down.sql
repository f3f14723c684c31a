DROP TABLE catalogue_revision;
