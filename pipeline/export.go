package pipeline

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/docflow/docflow/derrors"
	"golang.org/x/text/unicode/norm"
)

// WorkerStore finds the documents that name a worker.
type WorkerStore interface {
	// WorkerDocuments returns the tenant's documents whose worker_name is
	// name (compared as NormalizeName does), oldest first.
	WorkerDocuments(ctx context.Context, tenantID, name string) ([]Document, error)
	// DocumentReviews returns the review tasks of the documents.
	DocumentReviews(ctx context.Context, tenantID string, documentIDs []string) ([]ReviewTask, error)
}

// WorkerRecords finds a worker's committed records in the system of record.
type WorkerRecords interface {
	WorkerRecords(ctx context.Context, tenantID, name string) ([]CommittedContract, []CommittedTimesheet, error)
}

// WorkerExport is everything docflow holds about one worker of a tenant:
// the documents that name them with their fields and findings, the review
// tasks, corrections and audit entries of those documents, and their
// committed contracts and timesheets.
type WorkerExport struct {
	Worker      string               `json:"worker"`
	TenantID    string               `json:"tenant_id"`
	GeneratedAt time.Time            `json:"generated_at"`
	Documents   []ExportedDocument   `json:"documents"`
	Reviews     []ExportedReview     `json:"reviews"`
	Corrections []Correction         `json:"corrections"`
	Audit       []ExportedAudit      `json:"audit"`
	Contracts   []CommittedContract  `json:"contracts"`
	Timesheets  []CommittedTimesheet `json:"timesheets"`
}

// ExportedDocument is a document as the export shows it.
type ExportedDocument struct {
	ID          string         `json:"id"`
	FileName    string         `json:"file_name"`
	Type        DocumentType   `json:"document_type"`
	Status      Status         `json:"status"`
	ReceivedAt  time.Time      `json:"received_at"`
	CommittedAt *time.Time     `json:"committed_at"`
	Fields      map[string]any `json:"fields"`
	Issues      []Issue        `json:"issues"`
	UploadedBy  string         `json:"uploaded_by"`
}

// ExportedReview is a review task of an exported document.
type ExportedReview struct {
	ID         string       `json:"id"`
	DocumentID string       `json:"document_id"`
	Status     ReviewStatus `json:"status"`
	Reasons    []string     `json:"reasons"`
	CreatedAt  time.Time    `json:"created_at"`
}

// ExportedAudit is an audit entry of an exported document.
type ExportedAudit struct {
	At         time.Time      `json:"at"`
	Actor      string         `json:"actor"`
	Action     string         `json:"action"`
	DocumentID string         `json:"document_id"`
	ReviewID   string         `json:"review_id,omitempty"`
	Details    map[string]any `json:"details"`
}

var spaces = regexp.MustCompile(`\s+`)

// NormalizeName is how worker names are matched: Unicode NFC, lower case,
// runs of white space as one space, trimmed; accents are kept (as the
// spec compares strings).
func NormalizeName(s string) string {
	return strings.ToLower(spaces.ReplaceAllString(strings.TrimSpace(norm.NFC.String(s)), " "))
}

// ExportWorker gathers everything held about the worker named name in the
// principal's tenant (the right of access of data protection law).
func (s *Service) ExportWorker(ctx context.Context, p Principal, name string) (out WorkerExport, err error) {
	defer derrors.Wrap(&err, "export worker")
	if strings.TrimSpace(name) == "" {
		return out, fmt.Errorf("%w: a worker name is needed", derrors.InvalidArgument)
	}
	ws, ok := s.Store.(WorkerStore)
	if !ok {
		return out, fmt.Errorf("%w: the store cannot search workers", derrors.Permanent)
	}
	out = WorkerExport{Worker: name, TenantID: p.TenantID, GeneratedAt: s.now(), Documents: []ExportedDocument{},
		Reviews: []ExportedReview{}, Corrections: []Correction{}, Audit: []ExportedAudit{},
		Contracts: []CommittedContract{}, Timesheets: []CommittedTimesheet{}}
	docs, err := ws.WorkerDocuments(ctx, p.TenantID, name)
	if err != nil {
		return out, err
	}
	ids := map[string]bool{}
	for _, d := range docs {
		ids[d.ID] = true
		issues := d.Issues
		if issues == nil {
			issues = []Issue{}
		}
		out.Documents = append(out.Documents, ExportedDocument{ID: d.ID, FileName: d.FileName, Type: d.Type, Status: d.Status,
			ReceivedAt: d.ReceivedAt, CommittedAt: d.CommittedAt, Fields: d.Fields.Map(), Issues: issues, UploadedBy: d.UploadedBy})
		entries, err := s.Store.Audit(ctx, p.TenantID, AuditFilter{DocumentID: d.ID, Limit: 1000})
		if err != nil {
			return out, err
		}
		for _, e := range entries {
			out.Audit = append(out.Audit, ExportedAudit{At: e.At, Actor: e.Actor, Action: e.Action, DocumentID: e.DocumentID,
				ReviewID: e.ReviewID, Details: e.Details})
		}
	}
	if len(ids) > 0 {
		list := make([]string, 0, len(docs))
		for _, d := range docs {
			list = append(list, d.ID)
		}
		reviews, err := ws.DocumentReviews(ctx, p.TenantID, list)
		if err != nil {
			return out, err
		}
		for _, r := range reviews {
			out.Reviews = append(out.Reviews, ExportedReview{ID: r.ID, DocumentID: r.DocumentID, Status: r.Status,
				Reasons: r.Reasons, CreatedAt: r.CreatedAt})
		}
		corr, err := s.Store.Corrections(ctx, p.TenantID)
		if err != nil {
			return out, err
		}
		out.Corrections = slices.DeleteFunc(corr, func(c Correction) bool { return !ids[c.DocumentID] })
		if out.Corrections == nil {
			out.Corrections = []Correction{}
		}
	}
	if wr, ok := s.Records.(WorkerRecords); ok {
		cs, ts, err := wr.WorkerRecords(ctx, p.TenantID, name)
		if err != nil {
			return out, err
		}
		out.Contracts, out.Timesheets = append(out.Contracts, cs...), append(out.Timesheets, ts...)
	}
	return out, nil
}
