package postgres

import (
	"context"

	"github.com/docflow/docflow/pipeline"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/pgvector/pgvector-go"
)

// Embeddings stores documents' embeddings and finds nearest neighbours
// with pgvector's HNSW index, always within one tenant and one embedder.
type Embeddings struct{ pool *pgxpool.Pool }

// NewEmbeddings returns the embedding store on pool's database.
func NewEmbeddings(pool *pgxpool.Pool) Embeddings { return Embeddings{pool: pool} }

// Put stores (or replaces) a document's embedding and text excerpt.
func (e Embeddings) Put(ctx context.Context, d pipeline.Document, embedder, excerpt string, v []float32) error {
	_, err := e.pool.Exec(ctx, `INSERT INTO document_embeddings (document_id, tenant_id, embedder, document_type, excerpt, embedding)
		VALUES ($1, $2, $3, $4, $5, $6::vector)
		ON CONFLICT (document_id) DO UPDATE SET embedder = EXCLUDED.embedder, document_type = EXCLUDED.document_type,
			excerpt = EXCLUDED.excerpt, embedding = EXCLUDED.embedding`,
		d.ID, d.TenantID, embedder, string(d.Type), excerpt, pgvector.NewVector(v))
	return err
}

// Neighbour is a document close to another, with its cosine similarity.
type Neighbour struct {
	DocumentID string
	Similarity float64
	Type       pipeline.DocumentType
	Excerpt    string
	// Fields are the document's fields as stored (as approved, for a
	// reviewed one).
	Fields map[string]any
	// Reviewed is true when a person approved the document.
	Reviewed bool
}

// Nearest returns up to k of the tenant's documents closest to v, most
// similar first, leaving out exclude. With reviewedOnly, only documents a
// person approved; with t set, only that type.
func (e Embeddings) Nearest(ctx context.Context, tenantID, embedder string, v []float32, k int, t pipeline.DocumentType, reviewedOnly bool, exclude string) ([]Neighbour, error) {
	rows, err := e.pool.Query(ctx, `SELECT de.document_id::text, 1 - (de.embedding <=> $3::vector), de.document_type, de.excerpt,
			d.fields, coalesce(r.status = 'approved', false)
		FROM document_embeddings de
		JOIN documents d ON d.id = de.document_id AND d.tenant_id = de.tenant_id
		LEFT JOIN LATERAL (SELECT status FROM review_tasks rt WHERE rt.document_id = d.id ORDER BY rt.created_at DESC LIMIT 1) r ON true
		WHERE de.tenant_id = $1 AND de.embedder = $2 AND ($4 = '' OR de.document_type = $4)
			AND ($5::uuid IS NULL OR de.document_id <> $5::uuid)
			AND (NOT $6 OR coalesce(r.status = 'approved', false))
		ORDER BY de.embedding <=> $3::vector LIMIT $7`,
		tenantID, embedder, pgvector.NewVector(v), string(t), nullUUID(exclude), reviewedOnly, k)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Neighbour
	for rows.Next() {
		var n Neighbour
		var dtype string
		if err := rows.Scan(&n.DocumentID, &n.Similarity, &dtype, &n.Excerpt, &n.Fields, &n.Reviewed); err != nil {
			return nil, err
		}
		n.Type = pipeline.DocumentType(dtype)
		out = append(out, n)
	}
	return out, rows.Err()
}

func nullUUID(s string) any {
	if s == "" {
		return nil
	}
	return s
}
