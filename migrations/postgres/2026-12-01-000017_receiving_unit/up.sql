-- The desk that received a dossier, where it is not the unit that resolves it (`unit_id`).
-- NULL means the resolving unit's own desk: every dossier before this column, so none is
-- rewritten (and none is marked for the statistics' refold).
ALTER TABLE dossiers ADD COLUMN receiving_unit_id TEXT;
CREATE INDEX dossiers_receiving ON dossiers(receiving_unit_id) WHERE receiving_unit_id IS NOT NULL;
