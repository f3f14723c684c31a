DROP INDEX dossiers_holder_state_due;
CREATE INDEX dossiers_holder_state_due ON dossiers(holder_unit_id, state, due_at, paused_since);
