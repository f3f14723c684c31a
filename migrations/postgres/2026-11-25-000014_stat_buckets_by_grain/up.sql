-- The buckets, one partition per grain. In one table the few rows a report reads (a unit's
-- year and months: one row per unit and year, rewritten by every batch of changes) ended up
-- one to a page among millions of day rows: a country's year report read ~18,000 scattered
-- pages at 3 M dossiers. Apart, the year and month partitions are small enough to stay in
-- memory, and their free space (fillfactor) lets a counter update stay on its page.
ALTER TABLE stat_buckets RENAME TO stat_buckets_single;
ALTER INDEX stat_buckets_pkey RENAME TO stat_buckets_single_pkey;
CREATE TABLE stat_buckets (
    LIKE stat_buckets_single INCLUDING DEFAULTS,
    PRIMARY KEY (grain, unit_id, bucket, procedure_version_id)
) PARTITION BY LIST (grain);
CREATE TABLE stat_buckets_unit_day PARTITION OF stat_buckets FOR VALUES IN (0);
CREATE TABLE stat_buckets_unit_month PARTITION OF stat_buckets FOR VALUES IN (1)
    WITH (fillfactor = 50);
CREATE TABLE stat_buckets_unit_year PARTITION OF stat_buckets FOR VALUES IN (2)
    WITH (fillfactor = 50);
CREATE TABLE stat_buckets_procedure_day PARTITION OF stat_buckets FOR VALUES IN (3);
CREATE TABLE stat_buckets_procedure_month PARTITION OF stat_buckets FOR VALUES IN (4)
    WITH (fillfactor = 50);
CREATE TABLE stat_buckets_procedure_year PARTITION OF stat_buckets FOR VALUES IN (5)
    WITH (fillfactor = 50);
INSERT INTO stat_buckets SELECT * FROM stat_buckets_single;
DROP TABLE stat_buckets_single;
