package postgres

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/docflow/docflow/derrors"
	"github.com/docflow/docflow/pipeline"
	"github.com/jackc/pgx/v5"
)

const reviewColumns = `id, tenant_id, document_id, status, reasons, created_at, decided_at, coalesce(decided_by::text, ''), reason`

func scanReview(row pgx.Row) (pipeline.ReviewTask, error) {
	var r pipeline.ReviewTask
	var status string
	err := row.Scan(&r.ID, &r.TenantID, &r.DocumentID, &status, &r.Reasons, &r.CreatedAt, &r.DecidedAt, &r.DecidedBy, &r.Reason)
	r.Status = pipeline.ReviewStatus(status)
	return r, err
}

func (s *Store) openReview(ctx context.Context, tx pgx.Tx, r pipeline.ReviewTask) error {
	_, err := tx.Exec(ctx, `INSERT INTO review_tasks (id, tenant_id, document_id, status, reasons, created_at)
		VALUES ($1, $2, $3, $4, $5, $6)`, r.ID, r.TenantID, r.DocumentID, string(r.Status), r.Reasons, r.CreatedAt)
	if isUniqueViolation(err, "review_tasks_open") {
		return nil // a retried job: the task is already open
	}
	return err
}

// Reviews lists the tenant's review tasks, oldest first; an empty status lists all.
func (s *Store) Reviews(ctx context.Context, tenantID string, status pipeline.ReviewStatus) ([]pipeline.ReviewTask, error) {
	rows, err := s.pool.Query(ctx, "SELECT "+reviewColumns+` FROM review_tasks
		WHERE tenant_id = $1 AND ($2 = '' OR status = $2) ORDER BY created_at, id LIMIT 500`, tenantID, string(status))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []pipeline.ReviewTask{}
	for rows.Next() {
		r, err := scanReview(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// Review returns one review task of the tenant.
func (s *Store) Review(ctx context.Context, tenantID, id string) (pipeline.ReviewTask, error) {
	r, err := scanReview(s.pool.QueryRow(ctx, "SELECT "+reviewColumns+" FROM review_tasks WHERE tenant_id = $1 AND id = $2", tenantID, id))
	if isInvalidID(err) {
		return r, fmt.Errorf("review %q: %w", id, derrors.NotFound)
	}
	return r, notFound(err, "review")
}

// Decide records a decision in one transaction: the task's new status
// (only from an open one, so two decisions cannot both win), the document
// as decided, the audit entry and, on approval, the commit job.
func (s *Store) Decide(ctx context.Context, dec pipeline.Decision) error {
	d := dec.Document
	status, action := pipeline.ReviewRejected, "review.rejected"
	if dec.Approve {
		status, action = pipeline.ReviewApproved, "review.approved"
	}
	return WithTx(ctx, s.pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE review_tasks SET status = $3, decided_at = now(), decided_by = $4, reason = $5
			WHERE tenant_id = $1 AND id = $2 AND status IN ('pending', 'claimed')`,
			d.TenantID, dec.ReviewID, string(status), dec.Principal.KeyID, dec.Reason)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return fmt.Errorf("review %s was decided meanwhile: %w", dec.ReviewID, derrors.Conflict)
		}
		fields, _ := json.Marshal(d.Fields.Map())
		conf, _ := json.Marshal(nonNil(d.Fields.Confidence))
		sources, _ := json.Marshal(nonNilSources(d.Fields.Sources))
		issues, _ := json.Marshal(nonNilIssues(d.Issues))
		if _, err := tx.Exec(ctx, `UPDATE documents SET status = $3, stage = $4, stage_status = $5, document_type = $6,
			fields = $7, confidence = $8, issues = $9, sources = $10, updated_at = now() WHERE tenant_id = $1 AND id = $2`,
			d.TenantID, d.ID, string(d.Status), d.Stage, string(status), string(d.Type), fields, conf, issues, sources); err != nil {
			return err
		}
		details := map[string]any{"reason": dec.Reason}
		if dec.Approve {
			details["changes"] = dec.Changes
			details["document_type"] = d.Type
		}
		if err := s.audit(ctx, tx, pipeline.AuditEntry{TenantID: d.TenantID, Actor: dec.Principal.KeyID, Action: action,
			DocumentID: d.ID, ReviewID: dec.ReviewID, Details: details}); err != nil {
			return err
		}
		if !dec.Approve {
			return nil
		}
		return s.queue.EnqueueTx(ctx, tx, pipeline.Job{Kind: pipeline.JobCommit, TenantID: d.TenantID, DocumentID: d.ID})
	})
}
