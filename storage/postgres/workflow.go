package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/docflow/docflow/derrors"
	"github.com/docflow/docflow/pipeline"
	"github.com/jackc/pgx/v5"
)

// waitingReason is the review reason of a timesheet that waits for its
// contract (validate.CodeTimesheetUnknownContract).
const waitingReason = "timesheet.unknown_contract"

// contractKeySQL is pipeline.ContractKey in SQL, over a fields column; the
// indexes documents_waiting_contract and documents_committed_contract are
// on it.
const contractKeySQL = `upper(translate(%s.fields->>'contract_number', E' .-\t\u00a0\u2010\u2011\u2013', ''))`

// lockContractKey serialises, until tx ends, the transactions that commit
// a contract of this key and those that put a timesheet of this key in
// review waiting for it: each then sees what the other committed, so a
// timesheet can't enter review unseen while its contract commits.
func lockContractKey(ctx context.Context, tx pgx.Tx, tenantID, key string) error {
	_, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1, hashtext($2 || '/' || $3))", contractKeyLockClass, tenantID, key)
	return err
}

// contractKeyLockClass is the first key of lockContractKey's advisory
// locks, which keeps them apart from any other use of advisory locks.
const contractKeyLockClass int32 = 0x646f6366 // "docf"

// contractCommitted enqueues the re-validation of the timesheets that wait
// for the just committed contract id, if any waits: a contract no
// timesheet waits for costs no job.
func (s *Store) contractCommitted(ctx context.Context, tx pgx.Tx, tenantID, id string) error {
	var key string
	err := tx.QueryRow(ctx, "SELECT coalesce("+fmt.Sprintf(contractKeySQL, "d")+", '') FROM documents d WHERE d.tenant_id = $1 AND d.id = $2",
		tenantID, id).Scan(&key)
	if err != nil || key == "" {
		return err
	}
	if err := lockContractKey(ctx, tx, tenantID, key); err != nil {
		return err
	}
	var waits bool
	if err := tx.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM documents d WHERE "+waitingWhere+")", tenantID, key, waitingReason).Scan(&waits); err != nil || !waits {
		return err
	}
	return s.queue.EnqueueTx(ctx, tx, pipeline.Job{Kind: pipeline.JobRevalidate, TenantID: tenantID, DocumentID: id})
}

// timesheetWaits is contractCommitted's other half, for a timesheet that
// goes to review waiting for its contract: if the contract was committed
// meanwhile (after the rules looked for it, before this transaction), the
// re-validation is enqueued here.
func (s *Store) timesheetWaits(ctx context.Context, tx pgx.Tx, d pipeline.Document, reasons []string) error {
	if d.Type != pipeline.TypeTimesheet || d.Fields.Timesheet == nil || !slices.Contains(reasons, waitingReason) {
		return nil
	}
	key := pipeline.ContractKey(d.Fields.Timesheet.ContractNumber)
	if key == "" {
		return nil
	}
	if err := lockContractKey(ctx, tx, d.TenantID, key); err != nil {
		return err
	}
	var contractID string
	err := tx.QueryRow(ctx, `SELECT c.id::text FROM documents c WHERE c.tenant_id = $1 AND c.document_type = 'contract'
		AND c.status = 'committed' AND `+fmt.Sprintf(contractKeySQL, "c")+` = $2 ORDER BY c.committed_at DESC LIMIT 1`,
		d.TenantID, key).Scan(&contractID)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil
	}
	if err != nil {
		return err
	}
	return s.queue.EnqueueTx(ctx, tx, pipeline.Job{Kind: pipeline.JobRevalidate, TenantID: d.TenantID, DocumentID: contractID})
}

// waitingWhere selects the tenant's ($1) timesheets in review whose open
// task waits ($3) for the contract of key $2.
var waitingWhere = `d.tenant_id = $1 AND d.status = 'in_review' AND d.document_type = 'timesheet'
	AND ` + fmt.Sprintf(contractKeySQL, "d") + ` = $2
	AND EXISTS (SELECT 1 FROM review_tasks t WHERE t.document_id = d.id AND t.status IN ('pending', 'claimed')
		AND $3 = ANY(t.reasons))`

// WaitingForContract lists the tenant's timesheets in review whose open
// task waits for the contract of this key (pipeline.ContractKey).
func (s *Store) WaitingForContract(ctx context.Context, tenantID, contractKey string) ([]pipeline.Document, error) {
	rows, err := s.pool.Query(ctx, "SELECT "+documentColumns+" "+documentFrom+" WHERE "+waitingWhere+`
		ORDER BY d.received_at LIMIT 1000`, tenantID, contractKey, waitingReason)
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
		approvals, _, err := lockOpenTask(ctx, tx, d.TenantID, taskID)
		if err != nil {
			return err
		}
		// A reviewer approved once already: the second approval stays a
		// person's, whatever the rules now find.
		commit = commit && approvals == 0
		status, stage := "in_review", "review"
		if commit {
			status, stage = "processing", "commit"
		}
		tag, err := tx.Exec(ctx, `UPDATE documents SET issues = $3, status = $4, stage = $5, updated_at = now()
			WHERE tenant_id = $1 AND id = $2 AND status = 'in_review' AND updated_at = $6`,
			d.TenantID, d.ID, issues, status, stage, d.UpdatedAt)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			// Its fields may have changed (a reviewer's correction): the
			// findings were computed on others.
			return fmt.Errorf("%w: document %s changed while it was revalidated", derrors.Conflict, d.ID)
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

// SaveAbandonedRun records the tokens a failed model call spent on d.
func (s *Store) SaveAbandonedRun(ctx context.Context, d pipeline.Document, run pipeline.ExtractionRun) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO extraction_runs (tenant_id, document_id, extractor, model, prompt_id,
		prompt_hash, input_tokens, output_tokens, latency_ms, cost_estimate, fields, cache_hit, outcome)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, '{}', false, 'abandoned')`,
		d.TenantID, d.ID, run.Extractor, run.Model, run.PromptID, run.PromptHash, run.InputTokens, run.OutputTokens,
		float64(run.Latency.Microseconds())/1000, run.CostEstimate)
	return err
}

// TokensUsedSince sums the model tokens of the tenant's extraction runs
// since a time, abandoned ones included.
func (s *Store) TokensUsedSince(ctx context.Context, tenantID string, since time.Time) (int64, error) {
	var n int64
	err := s.pool.QueryRow(ctx, `SELECT coalesce(sum(input_tokens + output_tokens), 0) FROM extraction_runs
		WHERE tenant_id = $1 AND created_at >= $2`, tenantID, since).Scan(&n)
	return n, err
}
