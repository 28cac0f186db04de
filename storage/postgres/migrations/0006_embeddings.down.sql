ALTER TABLE documents DROP COLUMN near_duplicates;
DROP TABLE document_embeddings;
