-- stat_dirty is a queue: every change inserts a row and the folding worker deletes it soon
-- after. Under the default thresholds (20 % of the table) a busy day leaves hundreds of
-- thousands of dead rows, which the reports' probe of still-marked dossiers (by unit) walks
-- through. Vacuum it after every thousand dead rows, whatever its size.
ALTER TABLE stat_dirty SET (
    autovacuum_vacuum_threshold = 1000,
    autovacuum_vacuum_scale_factor = 0,
    autovacuum_vacuum_insert_threshold = 1000,
    autovacuum_vacuum_insert_scale_factor = 0,
    autovacuum_analyze_threshold = 1000,
    autovacuum_analyze_scale_factor = 0
);
