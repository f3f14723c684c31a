DROP TRIGGER stat_dirty_on_rating;
DROP TRIGGER stat_dirty_on_change;
DROP TRIGGER stat_dirty_on_filing;
DROP TABLE stat_dirty;
DROP TABLE stat_folds;
DROP TABLE stat_buckets;
