-- The country's report reads every unit's buckets of a few days or months: by bucket, not
-- through the primary key, whose unit comes first.
CREATE INDEX stat_buckets_by_bucket ON stat_buckets (grain, bucket);
