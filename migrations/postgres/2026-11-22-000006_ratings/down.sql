DROP TABLE dossier_ratings;
