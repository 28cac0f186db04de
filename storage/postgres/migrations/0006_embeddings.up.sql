-- 0006_embeddings: one embedding per document (pgvector, HNSW index), with
-- an excerpt of its text so that reviewed documents can serve as examples
-- for the model; and the near-duplicates found for a document.
CREATE EXTENSION IF NOT EXISTS vector;
CREATE TABLE document_embeddings (
    document_id   uuid PRIMARY KEY REFERENCES documents (id),
    tenant_id     uuid NOT NULL REFERENCES tenants (id),
    embedder      text NOT NULL,
    document_type text NOT NULL,
    excerpt       text NOT NULL,
    embedding     vector(256) NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX document_embeddings_hnsw ON document_embeddings USING hnsw (embedding vector_cosine_ops);
CREATE INDEX document_embeddings_tenant ON document_embeddings (tenant_id, embedder, document_type);
ALTER TABLE documents ADD COLUMN near_duplicates jsonb NOT NULL DEFAULT '[]';
