-- The statistics' fast path (src/stats/fast.rs): per-day, per-month and per-year sums of the
-- dossiers' dated counter changes (src/stats/buckets.rs), per unit and per unit and procedure
-- version. grain: 0 day, 1 month, 2 year at unit level (procedure_version_id = ''); 3, 4, 5 the
-- same per procedure version. bucket: the bucket's first local day, as days since 1970-01-01.
CREATE TABLE stat_buckets (
    grain SMALLINT NOT NULL,
    unit_id TEXT NOT NULL,
    bucket INTEGER NOT NULL,
    procedure_version_id TEXT NOT NULL,
    new_all BIGINT NOT NULL DEFAULT 0,
    new_online BIGINT NOT NULL DEFAULT 0,
    new_desk BIGINT NOT NULL DEFAULT 0,
    new_post BIGINT NOT NULL DEFAULT 0,
    early BIGINT NOT NULL DEFAULT 0,
    on_time BIGINT NOT NULL DEFAULT 0,
    late BIGINT NOT NULL DEFAULT 0,
    withdrawn BIGINT NOT NULL DEFAULT 0,
    rejected BIGINT NOT NULL DEFAULT 0,
    stopped BIGINT NOT NULL DEFAULT 0,
    digitised BIGINT NOT NULL DEFAULT 0,
    fully_online BIGINT NOT NULL DEFAULT 0,
    result_electronic BIGINT NOT NULL DEFAULT 0,
    paid BIGINT NOT NULL DEFAULT 0,
    paid_online BIGINT NOT NULL DEFAULT 0,
    rated BIGINT NOT NULL DEFAULT 0,
    satisfied BIGINT NOT NULL DEFAULT 0,
    open_change BIGINT NOT NULL DEFAULT 0,
    overdue_change BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (grain, unit_id, bucket, procedure_version_id)
) WITHOUT ROWID;

-- What each dossier adds to the buckets now, so that a change can take it back exactly.
CREATE TABLE stat_folds (
    dossier_id TEXT PRIMARY KEY NOT NULL,
    parts TEXT NOT NULL
);

-- Dossiers changed since they were last folded in, in order. Written by triggers in the same
-- transaction as the change; the folding worker deletes exactly the rows it folded.
CREATE TABLE stat_dirty (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    dossier_id TEXT NOT NULL,
    unit_id TEXT NOT NULL
);
CREATE INDEX stat_dirty_unit ON stat_dirty (unit_id);

CREATE TRIGGER stat_dirty_on_filing AFTER INSERT ON dossiers
BEGIN
    INSERT INTO stat_dirty (dossier_id, unit_id) VALUES (NEW.id, NEW.unit_id);
END;

CREATE TRIGGER stat_dirty_on_change AFTER UPDATE ON dossiers
BEGIN
    INSERT INTO stat_dirty (dossier_id, unit_id) VALUES (NEW.id, NEW.unit_id);
END;

CREATE TRIGGER stat_dirty_on_rating AFTER INSERT ON dossier_ratings
BEGIN
    INSERT INTO stat_dirty (dossier_id, unit_id)
    SELECT id, unit_id FROM dossiers WHERE id = NEW.dossier_id;
END;

-- Dossiers filed before this migration are folded in by the worker.
INSERT INTO stat_dirty (dossier_id, unit_id) SELECT id, unit_id FROM dossiers;
