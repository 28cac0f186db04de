package pipeline

import "time"

// Status is where a document is in its journey.
type Status string

// Document statuses of the spec.
const (
	StatusReceived   Status = "received"
	StatusProcessing Status = "processing"
	StatusInReview   Status = "in_review"
	StatusCommitted  Status = "committed"
	StatusRejected   Status = "rejected"
	StatusRefused    Status = "refused"
	StatusFailed     Status = "failed"
)

// Stage names, stored on the document with the outcome of the last one run.
const (
	StageIntake  = "intake"
	StageProcess = "process"
	StageReview  = "review"
	StageCommit  = "commit"
)

// Document is one file that docflow received, with its processing state.
type Document struct {
	ID         string
	TenantID   string
	ParentID   string
	FileName   string
	MediaType  string
	Size       int64
	SHA256     string
	StorageKey string
	Status     Status
	Type       DocumentType
	TypeScore  float64
	Format     string
	Fields     Fields
	Issues     []Issue
	// Refusal is the refusal code when Status is refused.
	Refusal        string
	RefusalMessage string
	// Stage is the last stage run; StageStatus, ErrorCode and ErrorMessage
	// its outcome; Attempts how often the process stage started.
	Stage        string
	StageStatus  string
	ErrorCode    string
	ErrorMessage string
	Attempts     int
	Timings      Timings
	ReceivedAt   time.Time
	UpdatedAt    time.Time
	CommittedAt  *time.Time
	Children     []string
	Review       *ReviewRef
	// UploadedBy is the principal that uploaded the document ("" for
	// documents that arrived otherwise); it may not approve it.
	UploadedBy string
	// NearDuplicates are the tenant's documents whose text is almost the
	// same (another scan of the same page, a re-sent file).
	NearDuplicates []Neighbour
}

// Neighbour is a document close to another one.
type Neighbour struct {
	DocumentID string  `json:"id"`
	Similarity float64 `json:"similarity"`
}

// ReviewRef is the review task attached to a document, if any.
type ReviewRef struct {
	ID     string       `json:"id"`
	Status ReviewStatus `json:"status"`
}

// ReviewStatus is the state of a review task.
type ReviewStatus string

// Review task states.
const (
	ReviewPending  ReviewStatus = "pending"
	ReviewClaimed  ReviewStatus = "claimed"
	ReviewApproved ReviewStatus = "approved"
	ReviewRejected ReviewStatus = "rejected"
)

// ReviewTask asks a person to decide on a document.
type ReviewTask struct {
	ID         string
	TenantID   string
	DocumentID string
	Status     ReviewStatus
	Reasons    []string
	CreatedAt  time.Time
	DecidedAt  *time.Time
	DecidedBy  string
	Reason     string
	// Assignee is the reviewer who claimed the task, "" when unclaimed.
	Assignee  string
	ClaimedAt *time.Time
	// ApprovalsRequired is 2 when the tenant asks a second approver for
	// one of the task's reasons; Approvals lists who approved so far.
	ApprovalsRequired int
	Approvals         []string
	// DocumentType is the document's type, for the queue's filters.
	DocumentType DocumentType
}

// ReviewFilter selects review tasks in the queue.
type ReviewFilter struct {
	Status       ReviewStatus
	DocumentType DocumentType
	// Code keeps tasks with this reason (a rule code).
	Code string
	// Assignee keeps tasks claimed by this reviewer; "none" keeps unclaimed ones.
	Assignee string
	// OlderThan keeps tasks created before this time.
	OlderThan *time.Time
	Limit     int
}

// Role is what an API key's holder may do.
type Role string

// Roles.
const (
	RoleUploader Role = "uploader"
	RoleReviewer Role = "reviewer"
	RoleAdmin    Role = "admin"
	// RoleAuditor reads documents and the audit log, and changes nothing.
	RoleAuditor Role = "auditor"
)

// ValidRole reports whether r is a known role.
func ValidRole(r Role) bool {
	return r == RoleUploader || r == RoleReviewer || r == RoleAdmin || r == RoleAuditor
}

// Tenant is one customer of docflow; every row carries its id.
type Tenant struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"created_at"`
}

// APIKey is a machine credential bound to a tenant and a role. Key is the
// secret, only known when the key is created.
type APIKey struct {
	ID       string `json:"id"`
	Key      string `json:"key,omitempty"`
	TenantID string `json:"tenant_id"`
	Role     Role   `json:"role"`
	// Name says what the key is for ("payroll export").
	Name string `json:"name,omitempty"`
	// Scopes, when not empty, are the only actions (authz action names)
	// the key may take, within what its role allows.
	Scopes     []string   `json:"scopes,omitempty"`
	ExpiresAt  *time.Time `json:"expires_at,omitempty"`
	CreatedAt  time.Time  `json:"created_at,omitzero"`
	CreatedBy  string     `json:"created_by,omitempty"`
	LastUsedAt *time.Time `json:"last_used_at,omitempty"`
	RevokedAt  *time.Time `json:"revoked_at,omitempty"`
	// RotatedTo is the key that replaced this one.
	RotatedTo string `json:"rotated_to,omitempty"`
}

// KeySpec describes a key to make.
type KeySpec struct {
	TenantID  string
	Role      Role
	Name      string
	Scopes    []string
	ExpiresAt *time.Time
	CreatedBy string
}

// Principal is who makes a request: an API key's tenant and role.
type Principal struct {
	KeyID    string
	TenantID string
	Role     Role
	// Scopes narrow what an API key may do within its role (authz action
	// names); empty means all its role allows.
	Scopes []string
}

// AuditEntry is one line of the audit log.
type AuditEntry struct {
	TenantID   string
	Actor      string
	Action     string
	DocumentID string
	ReviewID   string
	Details    map[string]any
	At         time.Time
}

// AuditFilter selects entries of the audit log.
type AuditFilter struct {
	DocumentID string
	Since      *time.Time
	Limit      int
}

// Correction is one field a reviewer changed, kept to measure and improve
// the extractors: the extracted value, the corrected one, who and when, and
// the extraction that produced the first.
type Correction struct {
	DocumentID string    `json:"document_id"`
	ReviewID   string    `json:"review_id"`
	Field      string    `json:"field"`
	Extracted  any       `json:"extracted"`
	Corrected  any       `json:"corrected"`
	Actor      string    `json:"actor"`
	At         time.Time `json:"at"`
	Extractor  string    `json:"extractor"`
	Model      string    `json:"model"`
	PromptID   string    `json:"prompt_id"`
	PromptHash string    `json:"prompt_hash"`
}
