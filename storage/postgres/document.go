package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/docflow/docflow/derrors"
	"github.com/docflow/docflow/events"
	"github.com/docflow/docflow/pipeline"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

const documentColumns = `d.id, d.tenant_id, coalesce(d.parent_id::text, ''), d.file_name, d.media_type, d.size_bytes,
	d.sha256, d.storage_key, d.status, d.document_type, d.type_score, d.format, d.fields, d.confidence, d.sources,
	d.issues, d.refusal, d.refusal_message, d.stage, d.stage_status, d.error_code, d.error_message,
	d.attempts, d.timings, d.received_at, d.updated_at, d.committed_at,
	d.uploaded_by, d.near_duplicates, r.id, r.status,
	ARRAY(SELECT c.id::text FROM documents c WHERE c.parent_id = d.id ORDER BY c.received_at, c.file_name)`

// documentFrom joins each document with its latest review task.
const documentFrom = `FROM documents d
	LEFT JOIN LATERAL (SELECT id::text, status FROM review_tasks rt WHERE rt.document_id = d.id
		ORDER BY rt.created_at DESC LIMIT 1) r ON true`

func scanDocument(row pgx.Row) (pipeline.Document, error) {
	var d pipeline.Document
	var status, dtype string
	var fields, conf, sources, issues, timings []byte
	var reviewID, reviewStatus *string
	err := row.Scan(&d.ID, &d.TenantID, &d.ParentID, &d.FileName, &d.MediaType, &d.Size,
		&d.SHA256, &d.StorageKey, &status, &dtype, &d.TypeScore, &d.Format, &fields, &conf, &sources,
		&issues, &d.Refusal, &d.RefusalMessage, &d.Stage, &d.StageStatus, &d.ErrorCode, &d.ErrorMessage,
		&d.Attempts, &timings, &d.ReceivedAt, &d.UpdatedAt, &d.CommittedAt,
		&d.UploadedBy, &d.NearDuplicates, &reviewID, &reviewStatus, &d.Children)
	if err != nil {
		return d, err
	}
	d.Status, d.Type = pipeline.Status(status), pipeline.DocumentType(dtype)
	if d.Fields, err = pipeline.FieldsFromJSON(d.Type, fields); err != nil {
		return d, fmt.Errorf("document %s: stored fields: %w", d.ID, err)
	}
	if err := json.Unmarshal(conf, &d.Fields.Confidence); err != nil {
		return d, err
	}
	if err := json.Unmarshal(sources, &d.Fields.Sources); err != nil {
		return d, err
	}
	if err := json.Unmarshal(issues, &d.Issues); err != nil {
		return d, err
	}
	if err := json.Unmarshal(timings, &d.Timings); err != nil {
		return d, err
	}
	if reviewID != nil {
		d.Review = &pipeline.ReviewRef{ID: *reviewID, Status: pipeline.ReviewStatus(*reviewStatus)}
	}
	return d, nil
}

// CreateDocument inserts d and, unless it is refused, its process job, in
// one transaction. A concurrent or earlier upload of the same bytes by the
// same tenant wins: its document is returned with created false.
func (s *Store) CreateDocument(ctx context.Context, d pipeline.Document) (pipeline.Document, bool, error) {
	err := WithTx(ctx, s.pool, func(tx pgx.Tx) error {
		if d.StorageKey != "" {
			if err := lockFileKey(ctx, tx, d.StorageKey); err != nil {
				return err
			}
		}
		if err := insertDocument(ctx, tx, d); err != nil {
			return err
		}
		if err := s.audit(ctx, tx, pipeline.AuditEntry{TenantID: d.TenantID, Actor: "intake", Action: "document.received",
			DocumentID: d.ID, Details: map[string]any{"file_name": d.FileName, "sha256": d.SHA256, "status": d.Status, "refusal": d.Refusal}}); err != nil {
			return err
		}
		if d.Status == pipeline.StatusRefused {
			return nil
		}
		return s.queue.EnqueueTx(ctx, tx, pipeline.Job{Kind: pipeline.JobProcess, TenantID: d.TenantID, DocumentID: d.ID})
	})
	if isUniqueViolation(err, "documents_tenant_sha256") {
		existing, ferr := s.FindBySHA256(ctx, d.TenantID, d.SHA256)
		return existing, false, ferr
	}
	if err != nil {
		return pipeline.Document{}, false, err
	}
	doc, err := s.Document(ctx, d.TenantID, d.ID)
	return doc, true, err
}

// Resubmit puts a failed document back at intake, with its file at
// storageKey, audits it and enqueues its process job, in one transaction.
func (s *Store) Resubmit(ctx context.Context, p pipeline.Principal, id, storageKey string) (pipeline.Document, bool, error) {
	created := false
	err := WithTx(ctx, s.pool, func(tx pgx.Tx) error {
		if err := lockFileKey(ctx, tx, storageKey); err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, `UPDATE documents SET status = 'received', stage = 'intake', stage_status = '',
			error_code = '', error_message = '', attempts = 0, storage_key = $3, updated_at = now()
			WHERE tenant_id = $1 AND id = $2 AND status = 'failed'`, p.TenantID, id, storageKey)
		if err != nil || tag.RowsAffected() == 0 {
			return err
		}
		created = true
		if err := s.audit(ctx, tx, pipeline.AuditEntry{TenantID: p.TenantID, Actor: p.KeyID, Action: "document.resubmitted",
			DocumentID: id}); err != nil {
			return err
		}
		return s.queue.EnqueueTx(ctx, tx, pipeline.Job{Kind: pipeline.JobProcess, TenantID: p.TenantID, DocumentID: id})
	})
	if err != nil {
		return pipeline.Document{}, false, err
	}
	d, err := s.Document(ctx, p.TenantID, id)
	return d, created, err
}

func insertDocument(ctx context.Context, tx pgx.Tx, d pipeline.Document) error {
	var parent *string
	if d.ParentID != "" {
		parent = &d.ParentID
	}
	_, err := tx.Exec(ctx, `INSERT INTO documents (id, tenant_id, parent_id, file_name, media_type, size_bytes,
		sha256, storage_key, status, refusal, refusal_message, stage, stage_status, error_code, error_message, received_at, uploaded_by)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)`,
		d.ID, d.TenantID, parent, d.FileName, d.MediaType, d.Size, d.SHA256, d.StorageKey, string(d.Status),
		d.Refusal, d.RefusalMessage, d.Stage, d.StageStatus, d.ErrorCode, d.ErrorMessage, d.ReceivedAt, d.UploadedBy)
	if err != nil {
		return err
	}
	// Every document's first event; a document refused at intake has its
	// refusal next.
	if err := emit(ctx, tx, events.DocumentReceived, d); err != nil || d.Status != pipeline.StatusRefused {
		return err
	}
	return emit(ctx, tx, events.DocumentRefused, d)
}

// FindBySHA256 returns the tenant's accepted top-level document with these bytes.
func (s *Store) FindBySHA256(ctx context.Context, tenantID, sha string) (pipeline.Document, error) {
	row := s.pool.QueryRow(ctx, "SELECT "+documentColumns+" "+documentFrom+
		` WHERE d.tenant_id = $1 AND d.sha256 = $2 AND d.parent_id IS NULL AND d.status <> 'refused'`, tenantID, sha)
	d, err := scanDocument(row)
	return d, notFound(err, "document")
}

// Document returns one document of the tenant.
func (s *Store) Document(ctx context.Context, tenantID, id string) (pipeline.Document, error) {
	row := s.pool.QueryRow(ctx, "SELECT "+documentColumns+" "+documentFrom+" WHERE d.tenant_id = $1 AND d.id = $2", tenantID, id)
	d, err := scanDocument(row)
	if isInvalidID(err) {
		return d, fmt.Errorf("document %q: %w", id, derrors.NotFound)
	}
	return d, notFound(err, "document")
}

// Documents lists the tenant's documents, newest first.
func (s *Store) Documents(ctx context.Context, tenantID string, f pipeline.DocumentFilter) ([]pipeline.Document, error) {
	if f.Limit <= 0 || f.Limit > 500 {
		f.Limit = 100
	}
	return queryAll(ctx, s, scanDocument, "SELECT "+documentColumns+" "+documentFrom+
		` WHERE d.tenant_id = $1 AND ($2 = '' OR d.status = $2) ORDER BY d.received_at DESC, d.id LIMIT $3`,
		tenantID, string(f.Status), f.Limit)
}

// BeginStage marks a received or processing document as being in stage and
// counts an attempt; a document past it is returned with started false.
func (s *Store) BeginStage(ctx context.Context, tenantID, id, stage string) (pipeline.Document, bool, error) {
	var tag pgconn.CommandTag
	err := withAsyncTx(ctx, s.pool, func(tx pgx.Tx) (err error) {
		tag, err = tx.Exec(ctx, `UPDATE documents SET status = 'processing', stage = $3, stage_status = 'running',
			attempts = attempts + 1, updated_at = now()
			WHERE tenant_id = $1 AND id = $2 AND status IN ('received', 'processing') AND stage <> 'commit'`, tenantID, id, stage)
		return err
	})
	if isInvalidID(err) {
		return pipeline.Document{}, false, fmt.Errorf("document %q: %w", id, derrors.NotFound)
	}
	if err != nil {
		return pipeline.Document{}, false, err
	}
	d, err := s.Document(ctx, tenantID, id)
	return d, tag.RowsAffected() == 1, err
}

// SaveOutcome stores the process stage's outcome, its extraction run, the
// review task or the email's children with their jobs, in one transaction.
func (s *Store) SaveOutcome(ctx context.Context, o pipeline.Outcome) error {
	d := o.Document
	return withAsyncTx(ctx, s.pool, func(tx pgx.Tx) error {
		fields, _ := json.Marshal(d.Fields.Map())
		conf, _ := json.Marshal(nonNil(d.Fields.Confidence))
		sources, _ := json.Marshal(nonNilSources(d.Fields.Sources))
		issues, _ := json.Marshal(nonNilIssues(d.Issues))
		timings, _ := json.Marshal(d.Timings)
		committedAt := d.CommittedAt
		if d.Status == pipeline.StatusCommitted && committedAt == nil {
			now := time.Now().UTC()
			committedAt = &now
		}
		tag, err := tx.Exec(ctx, `UPDATE documents SET status = $3, document_type = $4, type_score = $5, format = $6,
			fields = $7, confidence = $8, issues = $9, timings = $10, stage_status = 'done', error_code = '',
			error_message = '', committed_at = $11, sources = $12, stage = coalesce(nullif($13, ''), stage),
			near_duplicates = $14, updated_at = now()
			WHERE tenant_id = $1 AND id = $2 AND status IN ('received', 'processing')`,
			d.TenantID, d.ID, string(d.Status), string(d.Type), d.TypeScore, d.Format, fields, conf, issues, timings, committedAt, sources, d.Stage, nearDuplicates(d.NearDuplicates))
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return fmt.Errorf("document %s is no longer being processed: %w", d.ID, derrors.Conflict)
		}
		if o.Run.Extractor != "" {
			if _, err := tx.Exec(ctx, `INSERT INTO extraction_runs (tenant_id, document_id, extractor, model, prompt_id,
				prompt_hash, input_tokens, output_tokens, latency_ms, cost_estimate, fields, cache_hit)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
				d.TenantID, d.ID, o.Run.Extractor, o.Run.Model, o.Run.PromptID, o.Run.PromptHash, o.Run.InputTokens,
				o.Run.OutputTokens, float64(o.Run.Latency.Microseconds())/1000, o.Run.CostEstimate, fields, o.Run.CacheHit); err != nil {
				return err
			}
		}
		if o.Review != nil {
			if err := s.openReview(ctx, tx, *o.Review); err != nil {
				return err
			}
			if err := s.timesheetWaits(ctx, tx, d, o.Review.Reasons); err != nil {
				return err
			}
		}
		for _, c := range o.Children {
			if err := insertDocument(ctx, tx, c); err != nil {
				return err
			}
			if c.Status == pipeline.StatusRefused {
				continue
			}
			if err := s.queue.EnqueueTx(ctx, tx, pipeline.Job{Kind: pipeline.JobProcess, TenantID: c.TenantID, DocumentID: c.ID}); err != nil {
				return err
			}
		}
		if err := s.audit(ctx, tx, pipeline.AuditEntry{TenantID: d.TenantID, Actor: "pipeline", Action: "document.processed",
			DocumentID: d.ID, Details: map[string]any{"status": d.Status, "document_type": d.Type, "issues": pipeline.Codes(d.Issues), "children": len(o.Children)}}); err != nil {
			return err
		}
		if d.Status == pipeline.StatusInReview && o.Review != nil {
			d.Review = &pipeline.ReviewRef{ID: o.Review.ID, Status: o.Review.Status}
			e := events.New(events.DocumentNeedsReview, d, time.Now())
			e.Data.Review.Reasons = o.Review.Reasons
			if _, err := appendEvent(ctx, tx, e); err != nil {
				return err
			}
		}
		if d.Status != pipeline.StatusCommitted {
			return nil
		}
		if d.Type != pipeline.TypeContract && d.Type != pipeline.TypeTimesheet {
			// Nothing went to MariaDB, whose commit writes the event of the
			// others: the event is written here.
			return emit(ctx, tx, events.DocumentCommitted, d)
		}
		return s.committed(ctx, tx, d.TenantID, d.ID, d.Type)
	})
}

// SaveStageError records a failed attempt of the current stage; a non-empty
// status ends the document in it. A document no longer being processed
// (another run of the job decided it) is left as it is.
func (s *Store) SaveStageError(ctx context.Context, d pipeline.Document, status pipeline.Status, code, msg string) error {
	return WithTx(ctx, s.pool, func(tx pgx.Tx) error {
		refusal, refusalMsg := "", ""
		if status == pipeline.StatusRefused {
			refusal, refusalMsg = code, msg
		}
		tag, err := tx.Exec(ctx, `UPDATE documents SET status = coalesce(nullif($3, ''), status), stage_status = 'error',
			error_code = $4, error_message = $5, refusal = coalesce(nullif($6, ''), refusal),
			refusal_message = coalesce(nullif($7, ''), refusal_message), updated_at = now()
			WHERE tenant_id = $1 AND id = $2 AND status IN ('received', 'processing')`,
			d.TenantID, d.ID, string(status), code, msg, refusal, refusalMsg)
		if err != nil || status == "" || tag.RowsAffected() == 0 {
			return err
		}
		if status == pipeline.StatusRefused {
			d.Status, d.Refusal = status, code
			if err := emit(ctx, tx, events.DocumentRefused, d); err != nil {
				return err
			}
		}
		return s.audit(ctx, tx, pipeline.AuditEntry{TenantID: d.TenantID, Actor: "pipeline", Action: "document." + string(status),
			DocumentID: d.ID, Details: map[string]any{"stage": d.Stage, "code": code, "message": msg}})
	})
}

// MarkCommitted records that the document is in the system of record.
func (s *Store) MarkCommitted(ctx context.Context, tenantID, id string, at time.Time) error {
	return withAsyncTx(ctx, s.pool, func(tx pgx.Tx) error {
		var dtype string
		err := tx.QueryRow(ctx, `UPDATE documents SET status = 'committed', stage = 'commit', stage_status = 'done',
			error_code = '', error_message = '', committed_at = $3, updated_at = now()
			WHERE tenant_id = $1 AND id = $2 AND status <> 'committed' RETURNING document_type`, tenantID, id, at).Scan(&dtype)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil // committed already
		}
		if err != nil {
			return err
		}
		if t := pipeline.DocumentType(dtype); t != pipeline.TypeContract && t != pipeline.TypeTimesheet {
			// Nothing went to MariaDB: the event is written here.
			d := pipeline.Document{ID: id, TenantID: tenantID, Type: t, Status: pipeline.StatusCommitted}
			if err := emit(ctx, tx, events.DocumentCommitted, d); err != nil {
				return err
			}
		}
		return s.committed(ctx, tx, tenantID, id, pipeline.DocumentType(dtype))
	})
}

// committed audits a commit and, for a contract that timesheets wait for,
// enqueues their re-validation.
func (s *Store) committed(ctx context.Context, tx pgx.Tx, tenantID, id string, t pipeline.DocumentType) error {
	if err := s.audit(ctx, tx, pipeline.AuditEntry{TenantID: tenantID, Actor: "pipeline", Action: "document.committed", DocumentID: id}); err != nil {
		return err
	}
	if t != pipeline.TypeContract {
		return nil
	}
	return s.contractCommitted(ctx, tx, tenantID, id)
}

func nonNil(m map[string]float64) map[string]float64 {
	if m == nil {
		return map[string]float64{}
	}
	return m
}

func nearDuplicates(n []pipeline.Neighbour) []pipeline.Neighbour {
	if n == nil {
		return []pipeline.Neighbour{}
	}
	return n
}

func nonNilSources(m map[string]pipeline.Source) map[string]pipeline.Source {
	if m == nil {
		return map[string]pipeline.Source{}
	}
	return m
}

func nonNilIssues(is []pipeline.Issue) []pipeline.Issue {
	if is == nil {
		return []pipeline.Issue{}
	}
	return is
}
