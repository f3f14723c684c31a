ALTER TABLE stat_buckets RENAME TO stat_buckets_by_grain;
ALTER INDEX stat_buckets_pkey RENAME TO stat_buckets_by_grain_pkey;
CREATE TABLE stat_buckets (
    LIKE stat_buckets_by_grain INCLUDING DEFAULTS,
    PRIMARY KEY (grain, unit_id, bucket, procedure_version_id)
);
INSERT INTO stat_buckets SELECT * FROM stat_buckets_by_grain;
DROP TABLE stat_buckets_by_grain;
