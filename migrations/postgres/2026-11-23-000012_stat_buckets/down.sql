DROP TRIGGER stat_dirty_on_rating ON dossier_ratings;
DROP TRIGGER stat_dirty_on_change ON dossiers;
DROP FUNCTION stat_mark_rated();
DROP FUNCTION stat_mark_dirty();
DROP TABLE stat_dirty;
DROP TABLE stat_folds;
DROP TABLE stat_buckets;
