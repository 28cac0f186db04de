package postgres

import (
	"context"
	"encoding/json"

	"github.com/docflow/docflow/pipeline"
	"github.com/jackc/pgx/v5"
)

// audit appends one entry to the audit log inside tx.
func (s *Store) audit(ctx context.Context, tx pgx.Tx, e pipeline.AuditEntry) error {
	details, err := json.Marshal(e.Details)
	if err != nil {
		return err
	}
	if e.Details == nil {
		details = []byte("{}")
	}
	_, err = tx.Exec(ctx, `INSERT INTO audit_log (tenant_id, actor, action, document_id, review_id, details)
		VALUES ($1, $2, $3, nullif($4, '')::uuid, nullif($5, '')::uuid, $6)`,
		e.TenantID, e.Actor, e.Action, e.DocumentID, e.ReviewID, details)
	return err
}

// Audit returns the tenant's audit entries that pass the filter, oldest first.
func (s *Store) Audit(ctx context.Context, tenantID string, f pipeline.AuditFilter) ([]pipeline.AuditEntry, error) {
	if f.Limit <= 0 || f.Limit > 1000 {
		f.Limit = 1000
	}
	rows, err := s.pool.Query(ctx, `SELECT tenant_id, actor, action, coalesce(document_id::text, ''),
		coalesce(review_id::text, ''), details, at FROM audit_log
		WHERE tenant_id = $1 AND ($2 = '' OR document_id = nullif($2, '')::uuid) AND ($3::timestamptz IS NULL OR at >= $3)
		ORDER BY at, id LIMIT $4`, tenantID, f.DocumentID, f.Since, f.Limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []pipeline.AuditEntry{}
	for rows.Next() {
		var e pipeline.AuditEntry
		var details []byte
		if err := rows.Scan(&e.TenantID, &e.Actor, &e.Action, &e.DocumentID, &e.ReviewID, &details, &e.At); err != nil {
			return nil, err
		}
		if err := json.Unmarshal(details, &e.Details); err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}
