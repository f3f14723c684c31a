-- PostgreSQL only (autovacuum settings of the stat_dirty queue); SQLite frees deleted rows
-- from its b-trees at once. Kept so both backends have the same migration list.
SELECT 1;
