DROP INDEX dossiers_due;
