ALTER TABLE review_tasks ALTER COLUMN decided_by TYPE uuid
    USING (CASE WHEN decided_by ~ '^[0-9a-f-]{36}$' THEN decided_by::uuid END);
DROP TABLE sessions;
DROP TABLE users;
