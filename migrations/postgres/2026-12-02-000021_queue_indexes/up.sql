-- The web client counts a desk's tabs from the index alone: the pause joins state and due
-- date in it. "Received today" reads a narrow range of the second index instead of every
-- dossier the unit ever held.
DROP INDEX dossiers_holder_state_due;
CREATE INDEX dossiers_holder_state_due ON dossiers(holder_unit_id, state, due_at, paused_since);
CREATE INDEX dossiers_holder_received ON dossiers(holder_unit_id, received_at);
