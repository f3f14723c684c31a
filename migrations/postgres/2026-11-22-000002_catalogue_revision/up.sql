-- One counter, bumped in the same transaction as every catalogue change, so that each
-- instance's in-memory catalogue index knows when to reload.
CREATE TABLE catalogue_revision (
    id INTEGER PRIMARY KEY NOT NULL,
    revision BIGINT NOT NULL
);
INSERT INTO catalogue_revision (id, revision) VALUES (1, 0);
