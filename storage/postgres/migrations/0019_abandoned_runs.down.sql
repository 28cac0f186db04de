ALTER TABLE extraction_runs DROP COLUMN outcome;
