-- A queue's page is chosen from the index alone: the columns it is ordered by (and the id
-- that names each row) ride in the index, so only the ≤ 200 rows shown are read from the
-- table. SQLite has no INCLUDE: they close the key.
DROP INDEX dossiers_holder_state_due;
CREATE INDEX dossiers_holder_state_due
    ON dossiers(holder_unit_id, state, due_at, paused_since, submitted_at, created_at, id);
