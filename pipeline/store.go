package pipeline

import (
	"context"
	"errors"
	"time"
)

// Job kinds: the only stage boundaries. Process runs read to decide (and
// the commit when policy allows it); Commit runs after a person approved.
const (
	JobProcess = "process_document"
	JobCommit  = "commit_document"
	// JobRevalidate re-validates the timesheets that wait in review for the
	// contract just committed (DocumentID is the contract's document).
	JobRevalidate = "revalidate_waiting"
)

// Job names the next piece of work for a document; the store enqueues it
// in the same transaction that records the state that needs it.
type Job struct {
	Kind       string
	TenantID   string
	DocumentID string
}

// DocumentFilter selects documents in a listing.
type DocumentFilter struct {
	Status Status
	Limit  int
}

// Outcome is what the process stage decided for a document.
type Outcome struct {
	Document Document
	// Run describes the extraction, stored as an extraction run.
	Run ExtractionRun
	// Review, when set, is the review task to open (Status becomes in_review).
	Review *ReviewTask
	// Children are the documents an email carries, inserted with their
	// process jobs in the same transaction.
	Children []Document
}

// ExtractionRun records one extraction of a document's fields.
type ExtractionRun struct {
	Extractor    string
	Model        string
	PromptID     string
	PromptHash   string
	InputTokens  int
	OutputTokens int
	Latency      time.Duration
	CostEstimate float64
	// CacheHit is true when the model's answer came from the cache.
	CacheHit bool
}

// Spent returns the tokens the run cost.
func (r ExtractionRun) Spent() int { return r.InputTokens + r.OutputTokens }

// SpentError is a failed extraction that had spent tokens (SpentRun).
type SpentError struct {
	Run ExtractionRun
	Err error
}

func (e *SpentError) Error() string { return e.Err.Error() }
func (e *SpentError) Unwrap() error { return e.Err }

// SpentRun returns the run of a failed extraction that spent tokens.
func SpentRun(err error) (ExtractionRun, bool) {
	var se *SpentError
	if errors.As(err, &se) && se.Run.Spent() > 0 {
		return se.Run, true
	}
	return ExtractionRun{}, false
}

// Decision is a reviewer's approval or rejection of a review task.
type Decision struct {
	Principal Principal
	ReviewID  string
	Approve   bool
	// Document is the document as approved, corrected fields and the
	// issues recomputed on them included.
	Document Document
	// Changes lists each corrected field with its value before and after.
	Changes map[string][2]any
	Reason  string
	// Partial is a first approval of a task that needs two: it is recorded,
	// the task is released for the second reviewer, nothing is committed.
	Partial bool
	// Corrections are kept for the evaluation datasets.
	Corrections []Correction
	// ApprovalsSeen is how many approvals the task had when the reviewer
	// read it, and Document.UpdatedAt when the document was read: if
	// either changed before the decision is stored (another reviewer's
	// approval, a re-validation), the decision is refused with
	// derrors.Conflict, to be made again on what is there now.
	ApprovalsSeen int
}

// Store keeps documents, their state, review tasks and the audit log. Every
// method is scoped to one tenant. Methods that change state and need a next
// job enqueue it in the same transaction.
type Store interface {
	CreateTenant(ctx context.Context, name string) (Tenant, error)
	TenantSettings(ctx context.Context, tenantID string) (TenantSettings, error)
	UpdateTenantSettings(ctx context.Context, p Principal, s TenantSettings) error
	CreateAPIKey(ctx context.Context, tenantID string, role Role) (APIKey, error)
	Authenticate(ctx context.Context, secret string) (Principal, error)

	// CreateDocument inserts d (with its ID set) and enqueues its process
	// job unless d is refused. When the tenant already has a document with
	// the same bytes, it returns that one and created false.
	CreateDocument(ctx context.Context, d Document) (doc Document, created bool, err error)
	FindBySHA256(ctx context.Context, tenantID, sha256 string) (Document, error)
	// Resubmit puts a failed document back at intake, its file at
	// storageKey, and enqueues its process job; created is false when it
	// was no longer failed.
	Resubmit(ctx context.Context, p Principal, id, storageKey string) (doc Document, created bool, err error)
	Document(ctx context.Context, tenantID, id string) (Document, error)
	Documents(ctx context.Context, tenantID string, f DocumentFilter) ([]Document, error)

	// BeginStage marks a received or processing document as being in stage
	// and counts an attempt. When the document is past that (decided, or
	// waiting for its commit) it is returned unchanged with started false.
	BeginStage(ctx context.Context, tenantID, id, stage string) (doc Document, started bool, err error)
	// SaveOutcome records the process stage's outcome in one transaction;
	// with Status committed it also records the commit.
	SaveOutcome(ctx context.Context, o Outcome) error
	// SaveStageError records a failed attempt; with status set it ends the
	// document in that status (failed, refused).
	SaveStageError(ctx context.Context, d Document, status Status, code, msg string) error
	// MarkCommitted records that the document's rows are in the system of record.
	MarkCommitted(ctx context.Context, tenantID, id string, at time.Time) error

	Reviews(ctx context.Context, tenantID string, f ReviewFilter) ([]ReviewTask, error)
	Review(ctx context.Context, tenantID, id string) (ReviewTask, error)
	// Claim assigns an open task to a reviewer; a task claimed by another
	// gives derrors.Conflict. Release unassigns it.
	Claim(ctx context.Context, p Principal, reviewID string) (ReviewTask, error)
	Release(ctx context.Context, p Principal, reviewID string) (ReviewTask, error)
	// WaitingForContract lists the timesheets in review whose open task
	// waits for the contract of this key (timesheet.unknown_contract).
	WaitingForContract(ctx context.Context, tenantID, contractKey string) ([]Document, error)
	// Revalidated stores new findings for a document in review; with
	// commit set it closes the task as approved by the pipeline and
	// enqueues the commit, in one transaction. It gives derrors.NotFound
	// when the task was decided meanwhile and derrors.Conflict when the
	// document changed since it was read (d.UpdatedAt); a task that a
	// reviewer approved once already is never closed by the pipeline.
	Revalidated(ctx context.Context, d Document, reasons []string, commit bool) error
	Corrections(ctx context.Context, tenantID string) ([]Correction, error)
	// TokensUsedSince sums the model tokens of the tenant's extraction
	// runs, abandoned ones included.
	TokensUsedSince(ctx context.Context, tenantID string, since time.Time) (int64, error)
	// SaveAbandonedRun records the tokens that a model call spent on a
	// document before the call failed (the first parts of a long document
	// whose later part met an outage): the document will be read again,
	// and its budget must count what was spent.
	SaveAbandonedRun(ctx context.Context, d Document, run ExtractionRun) error
	// Decide records a decision, its audit entry and (on approval) the
	// commit job in one transaction.
	Decide(ctx context.Context, d Decision) error
	Audit(ctx context.Context, tenantID string, f AuditFilter) ([]AuditEntry, error)
}

// Records is the system of record in MariaDB.
type Records interface {
	// Commit writes the document's contract or timesheet, idempotently.
	Commit(ctx context.Context, d Document) error
	// ContractLookup returns the committed-contract lookup of one tenant.
	ContractLookup(tenantID string) ContractLookup
	// Holds reports whether the system of record holds the document (an
	// attempt wrote it, whatever PostgreSQL recorded after).
	Holds(ctx context.Context, tenantID, documentID string) (bool, error)
	Contract(ctx context.Context, tenantID, contractNumber string) (CommittedContract, error)
	Timesheets(ctx context.Context, tenantID, contractNumber string) ([]CommittedTimesheet, error)
}

// CommittedContract is a contract as the system of record holds it.
type CommittedContract struct {
	Contract
	TenantID    string    `json:"tenant_id"`
	DocumentID  string    `json:"document_id"`
	CommittedAt time.Time `json:"committed_at"`
}

// CommittedTimesheet is a timesheet as the system of record holds it.
type CommittedTimesheet struct {
	Timesheet
	TenantID    string    `json:"tenant_id"`
	DocumentID  string    `json:"document_id"`
	CommittedAt time.Time `json:"committed_at"`
}

// Similarity indexes documents' text and finds the tenant's documents
// closest to one.
type Similarity interface {
	// Index stores the document's embedding and returns its near-duplicates.
	Index(ctx context.Context, d Document, text string) ([]Neighbour, error)
}

// Files stores file contents by their hash.
type Files interface {
	Put(ctx context.Context, tenantID string, data []byte) (key string, err error)
	Get(ctx context.Context, key string) ([]byte, error)
}
