DROP INDEX stat_buckets_by_bucket;
