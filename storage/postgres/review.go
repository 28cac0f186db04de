package postgres

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/docflow/docflow/derrors"
	"github.com/docflow/docflow/events"
	"github.com/docflow/docflow/pipeline"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

const reviewColumns = `t.id, t.tenant_id, t.document_id, t.status, t.reasons, t.created_at, t.decided_at,
	coalesce(t.decided_by::text, ''), t.reason, t.assignee, t.claimed_at, t.approvals_required,
	ARRAY(SELECT a.actor FROM review_approvals a WHERE a.review_id = t.id ORDER BY a.at), d.document_type`

const reviewFrom = `FROM review_tasks t JOIN documents d ON d.id = t.document_id AND d.tenant_id = t.tenant_id`

func scanReview(row pgx.Row) (pipeline.ReviewTask, error) {
	var r pipeline.ReviewTask
	var status, dtype string
	err := row.Scan(&r.ID, &r.TenantID, &r.DocumentID, &status, &r.Reasons, &r.CreatedAt, &r.DecidedAt, &r.DecidedBy,
		&r.Reason, &r.Assignee, &r.ClaimedAt, &r.ApprovalsRequired, &r.Approvals, &dtype)
	r.Status, r.DocumentType = pipeline.ReviewStatus(status), pipeline.DocumentType(dtype)
	return r, err
}

func (s *Store) openReview(ctx context.Context, tx pgx.Tx, r pipeline.ReviewTask) error {
	if r.ApprovalsRequired < 1 {
		r.ApprovalsRequired = 1
	}
	_, err := tx.Exec(ctx, `INSERT INTO review_tasks (id, tenant_id, document_id, status, reasons, created_at, approvals_required)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`, r.ID, r.TenantID, r.DocumentID, string(r.Status), r.Reasons, r.CreatedAt, r.ApprovalsRequired)
	if isUniqueViolation(err, "review_tasks_open") {
		return nil // a retried job: the task is already open
	}
	return err
}

// Reviews lists the tenant's review tasks that pass the filter, oldest first.
func (s *Store) Reviews(ctx context.Context, tenantID string, f pipeline.ReviewFilter) ([]pipeline.ReviewTask, error) {
	if f.Limit <= 0 || f.Limit > 500 {
		f.Limit = 500
	}
	return queryAll(ctx, s, scanReview, "SELECT "+reviewColumns+" "+reviewFrom+`
		WHERE t.tenant_id = $1 AND ($2 = '' OR t.status = $2) AND ($3 = '' OR d.document_type = $3)
		AND ($4 = '' OR $4 = ANY(t.reasons))
		AND ($5 = '' OR ($5 = 'none' AND t.assignee = '') OR t.assignee = $5)
		AND ($6::timestamptz IS NULL OR t.created_at < $6)
		ORDER BY t.created_at, t.id LIMIT $7`,
		tenantID, string(f.Status), string(f.DocumentType), f.Code, f.Assignee, f.OlderThan, f.Limit)
}

// Review returns one review task of the tenant.
func (s *Store) Review(ctx context.Context, tenantID, id string) (pipeline.ReviewTask, error) {
	r, err := scanReview(s.pool.QueryRow(ctx, "SELECT "+reviewColumns+" "+reviewFrom+" WHERE t.tenant_id = $1 AND t.id = $2", tenantID, id))
	if isInvalidID(err) {
		return r, fmt.Errorf("review %q: %w", id, derrors.NotFound)
	}
	return r, notFound(err, "review")
}

// Claim assigns an open task to the reviewer, unless another holds it.
func (s *Store) Claim(ctx context.Context, p pipeline.Principal, id string) (pipeline.ReviewTask, error) {
	err := WithTx(ctx, s.pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE review_tasks SET status = 'claimed', assignee = $3, claimed_at = now()
			WHERE tenant_id = $1 AND id = $2 AND status IN ('pending', 'claimed') AND assignee IN ('', $3)
			AND NOT EXISTS (SELECT 1 FROM review_approvals a WHERE a.review_id = review_tasks.id AND a.actor = $3)`,
			p.TenantID, id, p.KeyID)
		if isInvalidID(err) {
			return fmt.Errorf("review %q: %w", id, derrors.NotFound)
		}
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			r, err := s.Review(ctx, p.TenantID, id)
			if err != nil {
				return err
			}
			return fmt.Errorf("%w: review is %s, held by another reviewer or approved by you already", derrors.Conflict, r.Status)
		}
		return s.audit(ctx, tx, pipeline.AuditEntry{TenantID: p.TenantID, Actor: p.KeyID, Action: "review.claimed", ReviewID: id,
			DocumentID: documentOf(ctx, tx, id)})
	})
	if err != nil {
		return pipeline.ReviewTask{}, err
	}
	return s.Review(ctx, p.TenantID, id)
}

// Release gives a claimed task back to the queue: its holder may, an admin may.
func (s *Store) Release(ctx context.Context, p pipeline.Principal, id string) (pipeline.ReviewTask, error) {
	err := WithTx(ctx, s.pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE review_tasks SET status = 'pending', assignee = '', claimed_at = NULL
			WHERE tenant_id = $1 AND id = $2 AND status = 'claimed' AND (assignee = $3 OR $4)`,
			p.TenantID, id, p.KeyID, p.Role == pipeline.RoleAdmin)
		if isInvalidID(err) {
			return fmt.Errorf("review %q: %w", id, derrors.NotFound)
		}
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			if _, err := s.Review(ctx, p.TenantID, id); err != nil {
				return err
			}
			return fmt.Errorf("%w: the review is not claimed by you", derrors.Conflict)
		}
		return s.audit(ctx, tx, pipeline.AuditEntry{TenantID: p.TenantID, Actor: p.KeyID, Action: "review.released", ReviewID: id,
			DocumentID: documentOf(ctx, tx, id)})
	})
	if err != nil {
		return pipeline.ReviewTask{}, err
	}
	return s.Review(ctx, p.TenantID, id)
}

// lockOpenTask locks an open review task of the tenant until tx ends and
// returns how many approvals it has; a task decided or missing gives
// derrors.Conflict or derrors.NotFound.
func lockOpenTask(ctx context.Context, tx pgx.Tx, tenantID, reviewID string) (approvals int, assignee string, err error) {
	var status string
	err = tx.QueryRow(ctx, `SELECT status, assignee, (SELECT count(*) FROM review_approvals a WHERE a.review_id = t.id)
		FROM review_tasks t WHERE tenant_id = $1 AND id = $2 FOR UPDATE`, tenantID, reviewID).Scan(&status, &assignee, &approvals)
	if isInvalidID(err) {
		return 0, "", fmt.Errorf("review %q: %w", reviewID, derrors.NotFound)
	}
	if err != nil {
		return 0, "", notFound(err, "review")
	}
	if status != string(pipeline.ReviewPending) && status != string(pipeline.ReviewClaimed) {
		return 0, "", fmt.Errorf("review %s was decided meanwhile: %w", reviewID, derrors.Conflict)
	}
	return approvals, assignee, nil
}

// documentOf returns the document of a review task, for audit entries.
func documentOf(ctx context.Context, tx pgx.Tx, reviewID string) string {
	var id string
	_ = tx.QueryRow(ctx, "SELECT document_id::text FROM review_tasks WHERE id = $1", reviewID).Scan(&id)
	return id
}

// Decide records a decision in one transaction: the task's new status
// (only from an open one, so two decisions cannot both win), the document
// as decided, the audit entry and, on approval, the commit job.
func (s *Store) Decide(ctx context.Context, dec pipeline.Decision) error {
	d := dec.Document
	status, action := pipeline.ReviewRejected, "review.rejected"
	switch {
	case dec.Partial:
		status, action = pipeline.ReviewPending, "review.first_approval"
	case dec.Approve:
		status, action = pipeline.ReviewApproved, "review.approved"
	}
	return WithTx(ctx, s.pool, func(tx pgx.Tx) error {
		// The task is locked and its approvals counted here: a decision
		// made on what another reviewer or a re-validation changed since
		// it was read is refused, to be made again on what is there now.
		approvals, assignee, err := lockOpenTask(ctx, tx, d.TenantID, dec.ReviewID)
		if err != nil {
			return err
		}
		if assignee != "" && assignee != dec.Principal.KeyID {
			return fmt.Errorf("%w: another reviewer has claimed this task", derrors.Conflict)
		}
		if approvals != dec.ApprovalsSeen {
			return fmt.Errorf("%w: another reviewer approved review %s meanwhile; read it again", derrors.Conflict, dec.ReviewID)
		}
		var tag pgconn.CommandTag
		if dec.Partial {
			// The first of two approvals: recorded, and the task goes back
			// to the queue for a second reviewer.
			tag, err = tx.Exec(ctx, `UPDATE review_tasks SET status = 'pending', assignee = '', claimed_at = NULL
				WHERE tenant_id = $1 AND id = $2 AND status IN ('pending', 'claimed')`, d.TenantID, dec.ReviewID)
		} else {
			tag, err = tx.Exec(ctx, `UPDATE review_tasks SET status = $3, decided_at = now(), decided_by = $4, reason = $5
				WHERE tenant_id = $1 AND id = $2 AND status IN ('pending', 'claimed')`,
				d.TenantID, dec.ReviewID, string(status), dec.Principal.KeyID, dec.Reason)
		}
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
		tag, err = tx.Exec(ctx, `UPDATE documents SET status = $3, stage = $4, stage_status = $5, document_type = $6,
			fields = $7, confidence = $8, issues = $9, sources = $10, updated_at = now()
			WHERE tenant_id = $1 AND id = $2 AND status = 'in_review' AND updated_at = $11`,
			d.TenantID, d.ID, string(d.Status), d.Stage, string(status), string(d.Type), fields, conf, issues, sources, d.UpdatedAt)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return fmt.Errorf("%w: document %s changed meanwhile (re-validated or decided); read it again", derrors.Conflict, d.ID)
		}
		if dec.Approve {
			if _, err := tx.Exec(ctx, `INSERT INTO review_approvals (review_id, tenant_id, actor) VALUES ($1, $2, $3)`,
				dec.ReviewID, d.TenantID, dec.Principal.KeyID); err != nil {
				if isUniqueViolation(err, "") {
					return fmt.Errorf("%w: you approved this review already", derrors.Conflict)
				}
				return err
			}
		}
		for _, c := range dec.Corrections {
			before, _ := json.Marshal(c.Extracted)
			after, _ := json.Marshal(c.Corrected)
			if _, err := tx.Exec(ctx, `INSERT INTO corrections (tenant_id, document_id, review_id, field, extracted,
				corrected, actor, at, extractor, model, prompt_id, prompt_hash)
				SELECT $1, $2, $3, $4, $5, $6, $7, $8, coalesce(r.extractor, ''), coalesce(r.model, ''),
					coalesce(r.prompt_id, ''), coalesce(r.prompt_hash, '')
				FROM (SELECT 1) one LEFT JOIN LATERAL (SELECT * FROM extraction_runs er WHERE er.document_id = $2
					AND er.outcome = 'used' ORDER BY er.id DESC LIMIT 1) r ON true`,
				d.TenantID, d.ID, dec.ReviewID, c.Field, before, after, c.Actor, c.At); err != nil {
				return err
			}
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
			d.Review = &pipeline.ReviewRef{ID: dec.ReviewID, Status: status}
			return emit(ctx, tx, events.DocumentRejected, d)
		}
		if dec.Partial {
			return nil
		}
		return s.queue.EnqueueTx(ctx, tx, pipeline.Job{Kind: pipeline.JobCommit, TenantID: d.TenantID, DocumentID: d.ID})
	})
}
