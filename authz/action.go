// Package authz is docflow's authorisation in one place: the matrix of
// roles (pipeline.RoleUploader, RoleReviewer, RoleAdmin, RoleAuditor) by
// action. Every API route and every page and form of the review desk
// names the one action it performs, and asks Can; the README's table is
// rendered from the same matrix (Markdown), and a test keeps the two equal.
//
// Authorisation here is by role only. Which objects a principal reaches is
// decided by its tenant, in the stores; rules that depend on the object
// (four eyes, who holds a claim) stay in pipeline and the stores.
package authz

import (
	"slices"

	"github.com/docflow/docflow/pipeline"
)

// Action is something a principal asks to do, named "object.verb".
type Action string

// The actions, in the order of the matrix.
const (
	// DocumentUpload hands a document over: POST /v1/documents, the desk's upload form.
	DocumentUpload Action = "document.upload"
	// DocumentRead lists and reads documents with their status, fields and
	// findings: GET /v1/documents[/{id}], the desk's document list.
	DocumentRead Action = "document.read"
	// DocumentAudit reads a document's history: GET /v1/documents/{id}/audit,
	// the desk's document page (the document beside its fields and history).
	DocumentAudit Action = "document.audit"
	// DocumentFile sees a document's original file and its rendered pages (desk).
	DocumentFile Action = "document.file"
	// ReviewList sees the review queue and its tasks: GET /v1/reviews, the
	// desk's queue and task pages.
	ReviewList Action = "review.list"
	// ReviewClaim takes an open review task for oneself.
	ReviewClaim Action = "review.claim"
	// ReviewRelease gives a claimed task back to the queue; a reviewer may
	// release their own claim only (the store checks who holds it).
	ReviewRelease Action = "review.release"
	// ReviewReleaseAny releases a claim held by someone else.
	ReviewReleaseAny Action = "review.release_any"
	// ReviewDecide approves (with corrections) or rejects a review task.
	ReviewDecide Action = "review.decide"
	// RecordsRead reads the system of record: committed contracts,
	// timesheets, contract months and weekly hours.
	RecordsRead Action = "records.read"
	// AuditRead reads the tenant's audit log.
	AuditRead Action = "audit.read"
	// CorrectionsRead reads the fields corrected by reviewers.
	CorrectionsRead Action = "corrections.read"
	// SettingsRead reads the tenant's policy, rule thresholds and model settings.
	SettingsRead Action = "settings.read"
	// SettingsWrite changes the tenant's settings.
	SettingsWrite Action = "settings.write"
	// MailboxRead reads the tenant's IMAP mailboxes and the messages and
	// failures taken from them.
	MailboxRead Action = "mailbox.read"
	// MailboxWrite adds and changes IMAP mailboxes.
	MailboxWrite Action = "mailbox.write"
	// APIKeyRead lists the tenant's API keys (never their secrets).
	APIKeyRead Action = "apikey.read"
	// APIKeyWrite makes, rotates and revokes the tenant's API keys.
	APIKeyWrite Action = "apikey.write"
	// WorkerExport exports everything held about one worker (the right of
	// access of data protection law).
	WorkerExport Action = "worker.export"
	// InboundRead lists the tenant's SMTP inbound addresses.
	InboundRead Action = "inbound.read"
	// InboundWrite makes a new SMTP inbound address.
	InboundWrite Action = "inbound.write"
	// WebhookRead lists the tenant's webhooks and their delivery logs
	// (never their secrets).
	WebhookRead Action = "webhook.read"
	// WebhookWrite registers, changes and deletes webhooks, and redelivers.
	WebhookWrite Action = "webhook.write"
	// DeskSession uses the desk once signed in: its home page, sign-out.
	DeskSession Action = "desk.session"
)

// String returns the action's name.
func (a Action) String() string { return string(a) }

// AllRoles returns every role, in the order of the matrix's columns.
func AllRoles() []pipeline.Role {
	return []pipeline.Role{pipeline.RoleUploader, pipeline.RoleReviewer, pipeline.RoleAdmin, pipeline.RoleAuditor}
}

// Can reports whether role r may perform action a. Unknown roles and
// actions may do nothing.
func Can(r pipeline.Role, a Action) bool {
	g, ok := index[a]
	return ok && slices.Contains(g.roles, r)
}

// Roles returns the roles that may perform a, in the order of AllRoles
// (none for an unknown action).
func Roles(a Action) []pipeline.Role {
	return slices.Clone(index[a].roles)
}

// Actions returns every action, in the order of the matrix.
func Actions() []Action {
	out := make([]Action, len(matrix))
	for i, g := range matrix {
		out[i] = g.action
	}
	return out
}

// Describe returns what an action allows, in words.
func Describe(a Action) string { return index[a].what }
