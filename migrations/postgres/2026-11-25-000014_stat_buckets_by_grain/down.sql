ALTER TABLE stat_buckets RENAME TO stat_buckets_by_grain;
ALTER INDEX stat_buckets_pkey RENAME TO stat_buckets_by_grain_pkey;
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
);
INSERT INTO stat_buckets (grain, unit_id, bucket, procedure_version_id, new_all, new_online, new_desk, new_post, early, on_time, late, withdrawn, rejected, stopped, digitised, fully_online, result_electronic, paid, paid_online, rated, satisfied, open_change, overdue_change)
    SELECT grain, unit_id, bucket, procedure_version_id, new_all, new_online, new_desk, new_post, early, on_time, late, withdrawn, rejected, stopped, digitised, fully_online, result_electronic, paid, paid_online, rated, satisfied, open_change, overdue_change FROM stat_buckets_by_grain;
DROP TABLE stat_buckets_by_grain;
