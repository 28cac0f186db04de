package postgres

import (
	"context"

	"github.com/docflow/docflow/pipeline"
)

var _ pipeline.WorkerStore = (*Store)(nil)

// WorkerDocuments returns the tenant's documents naming the worker
// (pipeline.NormalizeName on both sides: NFC, lower case, white space
// collapsed), oldest first.
func (s *Store) WorkerDocuments(ctx context.Context, tenantID, name string) ([]pipeline.Document, error) {
	return queryAll(ctx, s, scanDocument, "SELECT "+documentColumns+" "+documentFrom+`
		WHERE d.tenant_id = $1 AND d.fields ? 'worker_name'
			AND lower(regexp_replace(btrim(normalize(d.fields->>'worker_name', NFC)), '\s+', ' ', 'g')) = $2
		ORDER BY d.received_at, d.id`, tenantID, pipeline.NormalizeName(name))
}

// DocumentReviews returns the review tasks of the tenant's documents.
func (s *Store) DocumentReviews(ctx context.Context, tenantID string, ids []string) ([]pipeline.ReviewTask, error) {
	return queryAll(ctx, s, scanReview, "SELECT "+reviewColumns+" "+reviewFrom+`
		WHERE t.tenant_id = $1 AND t.document_id::text = ANY($2) ORDER BY t.created_at, t.id`, tenantID, ids)
}
