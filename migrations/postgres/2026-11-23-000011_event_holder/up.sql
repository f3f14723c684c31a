-- The unit holding the dossier after each event: whose step it is, so a late step is
-- attributed to the unit that held it (DOMAIN §3). A copy of dossiers.holder_unit_id, which
-- the same statement writes and checks; null in events recorded before this column.
ALTER TABLE dossier_events ADD COLUMN holder_unit_id TEXT;
