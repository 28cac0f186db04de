package authz

import "github.com/docflow/docflow/pipeline"

// grant is one row of the matrix: an action, what it allows in words (for
// the README), and the roles that may perform it.
type grant struct {
	action Action
	what   string
	roles  []pipeline.Role
}

const (
	uploader = pipeline.RoleUploader
	reviewer = pipeline.RoleReviewer
	admin    = pipeline.RoleAdmin
	auditor  = pipeline.RoleAuditor
)

// matrix is the single table of who may do what. Keep each row's roles in
// the order of AllRoles; the README's table is rendered from it.
var matrix = []grant{
	{DocumentUpload, "upload documents (API, the desk's upload form)", []pipeline.Role{uploader, admin}},
	{DocumentRead, "list and read documents: status, fields, findings (API, the desk's document list)", []pipeline.Role{uploader, reviewer, admin, auditor}},
	{DocumentAudit, "a document's history (API); the desk's document page", []pipeline.Role{reviewer, admin, auditor}},
	{DocumentFile, "a document's original file and rendered pages (desk)", []pipeline.Role{reviewer, admin, auditor}},
	{ReviewList, "the review queue and its tasks (API, the desk's queue and task pages)", []pipeline.Role{reviewer, admin, auditor}},
	{ReviewClaim, "claim a review task", []pipeline.Role{reviewer}},
	{ReviewRelease, "release a claimed task (a reviewer only their own claim)", []pipeline.Role{reviewer, admin}},
	{ReviewReleaseAny, "release a task claimed by someone else", []pipeline.Role{admin}},
	{ReviewDecide, "approve (with corrections) or reject a review task", []pipeline.Role{reviewer}},
	{RecordsRead, "committed contracts and timesheets, contract months, weekly hours", []pipeline.Role{uploader, reviewer, admin, auditor}},
	{AuditRead, "the tenant's audit log", []pipeline.Role{admin, auditor}},
	{CorrectionsRead, "the fields corrected by reviewers", []pipeline.Role{admin, auditor}},
	{SettingsRead, "read the tenant's settings", []pipeline.Role{admin}},
	{SettingsWrite, "change the tenant's settings", []pipeline.Role{admin}},
	{MailboxRead, "IMAP mailboxes, their messages and failures", []pipeline.Role{admin, auditor}},
	{MailboxWrite, "add and change IMAP mailboxes", []pipeline.Role{admin}},
	{InboundRead, "SMTP inbound addresses", []pipeline.Role{admin, auditor}},
	{InboundWrite, "make an SMTP inbound address", []pipeline.Role{admin}},
	{APIKeyRead, "the tenant's API keys: role, scopes, expiry, last use (never the secret)", []pipeline.Role{admin, auditor}},
	{APIKeyWrite, "make, rotate and revoke the tenant's API keys", []pipeline.Role{admin}},
	{WorkerExport, "export everything held about one worker (right of access)", []pipeline.Role{admin, auditor}},
	{WebhookRead, "webhooks and their delivery logs (never the secret)", []pipeline.Role{admin, auditor}},
	{WebhookWrite, "register, change and delete webhooks; redeliver an event", []pipeline.Role{admin}},
	{DeskSession, "the desk's home page and sign-out", []pipeline.Role{uploader, reviewer, admin, auditor}},
}

// index finds a row by its action.
var index = func() map[Action]grant {
	m := make(map[Action]grant, len(matrix))
	for _, g := range matrix {
		m[g.action] = g
	}
	return m
}()
