DROP TABLE audit_log;
DROP TABLE review_tasks;
DROP TABLE extraction_runs;
DROP TABLE documents;
DROP TABLE api_keys;
DROP TABLE tenants;
