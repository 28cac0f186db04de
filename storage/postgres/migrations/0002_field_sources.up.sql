-- 0002_field_sources: where each extracted field was found (page, line, text).
ALTER TABLE documents ADD COLUMN sources jsonb NOT NULL DEFAULT '{}';
