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

// Audit returns the audit trail of one document of the tenant, oldest first.
func (s *Store) Audit(ctx context.Context, tenantID, documentID string) ([]pipeline.AuditEntry, error) {
	rows, err := s.pool.Query(ctx, `SELECT tenant_id, actor, action, coalesce(document_id::text, ''),
		coalesce(review_id::text, ''), details, at FROM audit_log
		WHERE tenant_id = $1 AND document_id = $2 ORDER BY at, id`, tenantID, documentID)
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
