package postgres

import (
	"context"
	"encoding/json"
	"time"

	"github.com/docflow/docflow/pipeline"
	"github.com/jackc/pgx/v5"
)

// WaitingForContract lists the tenant's timesheets in review whose open
// task waits for the contract of this key (pipeline.ContractKey; the
// expression below is its, and index documents_waiting_contract's).
func (s *Store) WaitingForContract(ctx context.Context, tenantID, contractKey string) ([]pipeline.Document, error) {
	rows, err := s.pool.Query(ctx, "SELECT "+documentColumns+" "+documentFrom+`
		WHERE d.tenant_id = $1 AND d.status = 'in_review' AND d.document_type = 'timesheet'
		AND upper(translate(d.fields->>'contract_number', E' .-\t\u00a0\u2010\u2011\u2013', '')) = $2
		AND EXISTS (SELECT 1 FROM review_tasks t WHERE t.document_id = d.id AND t.status IN ('pending', 'claimed')
			AND 'timesheet.unknown_contract' = ANY(t.reasons))
		ORDER BY d.received_at LIMIT 1000`, tenantID, contractKey)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []pipeline.Document
	for rows.Next() {
		d, err := scanDocument(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// Revalidated stores a document's new findings and its open task's new
// reasons; with commit set it closes the task as approved by the pipeline
// and enqueues the commit, in one transaction.
func (s *Store) Revalidated(ctx context.Context, d pipeline.Document, reasons []string, commit bool) error {
	issues, _ := json.Marshal(nonNilIssues(d.Issues))
	return WithTx(ctx, s.pool, func(tx pgx.Tx) error {
		var taskID string
		err := tx.QueryRow(ctx, `SELECT id FROM review_tasks WHERE tenant_id = $1 AND document_id = $2
			AND status IN ('pending', 'claimed') FOR UPDATE`, d.TenantID, d.ID).Scan(&taskID)
		if err != nil {
			return notFound(err, "open review")
		}
		status, stage := "in_review", "review"
		if commit {
			status, stage = "processing", "commit"
		}
		if _, err := tx.Exec(ctx, `UPDATE documents SET issues = $3, status = $4, stage = $5, updated_at = now()
			WHERE tenant_id = $1 AND id = $2 AND status = 'in_review'`, d.TenantID, d.ID, issues, status, stage); err != nil {
			return err
		}
		details := map[string]any{"issues": pipeline.Codes(d.Issues), "reasons": reasons}
		if !commit {
			if _, err := tx.Exec(ctx, "UPDATE review_tasks SET reasons = $2 WHERE id = $1", taskID, reasons); err != nil {
				return err
			}
			return s.audit(ctx, tx, pipeline.AuditEntry{TenantID: d.TenantID, Actor: "pipeline", Action: "document.revalidated",
				DocumentID: d.ID, ReviewID: taskID, Details: details})
		}
		if _, err := tx.Exec(ctx, `UPDATE review_tasks SET status = 'approved', decided_at = now(),
			reason = 'no finding left once its contract was committed' WHERE id = $1`, taskID); err != nil {
			return err
		}
		if err := s.audit(ctx, tx, pipeline.AuditEntry{TenantID: d.TenantID, Actor: "pipeline", Action: "review.approved",
			DocumentID: d.ID, ReviewID: taskID, Details: details}); err != nil {
			return err
		}
		return s.queue.EnqueueTx(ctx, tx, pipeline.Job{Kind: pipeline.JobCommit, TenantID: d.TenantID, DocumentID: d.ID})
	})
}

// Corrections returns the tenant's corrections, oldest first.
func (s *Store) Corrections(ctx context.Context, tenantID string) ([]pipeline.Correction, error) {
	rows, err := s.pool.Query(ctx, `SELECT document_id::text, coalesce(review_id::text, ''), field, extracted, corrected,
		actor, at, extractor, model, prompt_id, prompt_hash FROM corrections WHERE tenant_id = $1 ORDER BY at, id`, tenantID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []pipeline.Correction{}
	for rows.Next() {
		var c pipeline.Correction
		var before, after []byte
		if err := rows.Scan(&c.DocumentID, &c.ReviewID, &c.Field, &before, &after, &c.Actor, &c.At,
			&c.Extractor, &c.Model, &c.PromptID, &c.PromptHash); err != nil {
			return nil, err
		}
		_ = json.Unmarshal(before, &c.Extracted)
		_ = json.Unmarshal(after, &c.Corrected)
		out = append(out, c)
	}
	return out, rows.Err()
}

// TokensUsedSince sums the model tokens of the tenant's extraction runs
// since a time.
func (s *Store) TokensUsedSince(ctx context.Context, tenantID string, since time.Time) (int64, error) {
	var n int64
	err := s.pool.QueryRow(ctx, `SELECT coalesce(sum(input_tokens + output_tokens), 0) FROM extraction_runs
		WHERE tenant_id = $1 AND created_at >= $2`, tenantID, since).Scan(&n)
	return n, err
}
