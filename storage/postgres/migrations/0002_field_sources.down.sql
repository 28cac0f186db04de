ALTER TABLE documents DROP COLUMN sources;
