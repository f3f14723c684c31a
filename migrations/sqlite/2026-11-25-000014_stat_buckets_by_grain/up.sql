-- PostgreSQL only (the buckets partitioned by grain); SQLite keeps one table, whose reports
-- stay within milliseconds at a province's scale. Kept so both backends have the same
-- migration list.
SELECT 1;
