ALTER TABLE extraction_runs DROP COLUMN cache_hit;
DROP TABLE llm_cache;
