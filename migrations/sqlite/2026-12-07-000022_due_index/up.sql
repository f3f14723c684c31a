-- A running report takes out the dossiers whose due instant falls later today (stats::fast).
CREATE INDEX dossiers_due ON dossiers(due_at);
