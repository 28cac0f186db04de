// Package mail takes documents in by email. This slice polls IMAP
// mailboxes (emersion/go-imap v2) with exactly-once intake: each message is
// recorded, with its email document and that document's process job, in
// one PostgreSQL transaction, and only then moved to the processed folder.
// A message already recorded (overlapping polls, a restart between the
// commit and the move) is only moved; a message whose intake fails stays in
// place and is retried at the next polls, then parked in the failed folder
// with its reason.
//
// The process stage then splits the email into child documents, as for an
// .eml uploaded over the API.
package mail

import (
	"context"
	"slices"
	"strconv"
	"time"

	"github.com/docflow/docflow/pipeline"
)

// TLSMode says how to secure the IMAP connection.
type TLSMode string

const (
	TLS      TLSMode = "tls"      // implicit TLS (port 993)
	StartTLS TLSMode = "starttls" // STARTTLS on the plain port
	NoTLS    TLSMode = "none"     // plaintext: tests and local relays only
)

// Mailbox is one IMAP mailbox a tenant's mail is polled from.
type Mailbox struct {
	ID       string
	TenantID string
	Name     string
	Host     string
	Port     int
	TLS      TLSMode
	Username string
	// Password is stored as given for now: encryption at rest is issue 8.
	Password        string
	Folder          string
	ProcessedFolder string
	FailedFolder    string
	PollInterval    time.Duration
	// MaxAttempts is how many failed intakes park a message in FailedFolder.
	MaxAttempts int
	Enabled     bool
}

// Message identifies one message of a mailbox.
type Message struct {
	TenantID    string
	MailboxID   string
	UIDValidity uint32
	UID         uint32
	// MessageID is the Message-ID header, without brackets; may be empty.
	MessageID string
	// SHA256 of the raw message; empty when it was not downloaded (too large).
	SHA256  string
	Subject string
	// From is the sender's address, lower-cased; may be empty.
	From string
}

// DedupeKey identifies the message by its content: its Message-ID, or its
// hash when it has none, or its place when neither is known.
func (m Message) DedupeKey() string {
	switch {
	case m.MessageID != "":
		return "message-id:" + m.MessageID
	case m.SHA256 != "":
		return "sha256:" + m.SHA256
	default:
		return "place:" + m.MailboxID + ":" + strconv.FormatUint(uint64(m.UIDValidity), 10) + ":" + strconv.FormatUint(uint64(m.UID), 10)
	}
}

// Recorded is a message taken in.
type Recorded struct {
	ID          string
	MailboxID   string
	UIDValidity uint32
	UID         uint32
	MessageID   string
	DocumentID  string
	// DocumentStatus is the email document's status (refused mail goes to
	// the failed folder).
	DocumentStatus pipeline.Status
	// State is "stored" (committed, not moved yet) or "moved".
	State      string
	ReceivedAt time.Time
}

// Failure is a message whose intake failed.
type Failure struct {
	MailboxID     string
	UIDValidity   uint32
	UID           uint32
	MessageID     string
	Subject       string
	Attempts      int
	Reason        string
	FirstFailedAt time.Time
	LastFailedAt  time.Time
	// ParkedAt is set once the message was moved to the failed folder.
	ParkedAt *time.Time
}

// Store keeps mailboxes and the messages taken from them (PostgreSQL).
type Store interface {
	// LockMailbox takes the mailbox's poll lock without waiting: ok false
	// means another poll holds it. IMAP servers may copy a message twice
	// when two sessions MOVE it at once, so polls of a mailbox never overlap.
	LockMailbox(ctx context.Context, mailboxID string) (unlock func(), ok bool, err error)
	CreateMailbox(ctx context.Context, mb Mailbox) (Mailbox, error)
	Mailbox(ctx context.Context, tenantID, id string) (Mailbox, error)
	Mailboxes(ctx context.Context, tenantID string) ([]Mailbox, error)

	// FindMessage returns the recorded message at m's place or with m's
	// dedupe key.
	FindMessage(ctx context.Context, m Message) (Recorded, bool, error)
	// IntakeMessage records m with its email document doc (inserted, with
	// its process job unless refused) in one transaction. When m was
	// recorded already (a concurrent poll), nothing is inserted and the
	// existing record is returned with created false. When the tenant
	// already has a document with the same bytes, m is linked to it.
	IntakeMessage(ctx context.Context, m Message, doc pipeline.Document) (rec Recorded, created bool, err error)
	// MarkMoved records that the message left the polled folder.
	MarkMoved(ctx context.Context, recordID string) error

	// MailFailure returns the failures recorded for m's place.
	MailFailure(ctx context.Context, m Message) (Failure, bool, error)
	// RecordFailure counts a failed intake of m and returns the attempts.
	RecordFailure(ctx context.Context, m Message, reason string) (attempts int, err error)
	// MarkParked records that m was moved to the failed folder.
	MarkParked(ctx context.Context, m Message) error
	// MailFailures lists the tenant's failed messages, newest first
	// (mailboxID empty: all mailboxes).
	MailFailures(ctx context.Context, tenantID, mailboxID string) ([]Failure, error)
}

// Clock is used for retry backoff.
func now() time.Time { return time.Now().UTC() }

// ctxDone is a small helper for loops.
func ctxDone(ctx context.Context) bool {
	select {
	case <-ctx.Done():
		return true
	default:
		return false
	}
}

// Taken is a message taken in, as an admin sees it: where it was, its
// email document and that document's status and parts.
type Taken struct {
	UIDValidity uint32 `json:"uidvalidity"`
	UID         uint32 `json:"uid"`
	MessageID   string `json:"message_id"`
	// State is how far the message went: "stored" (its email document and
	// job committed), "split" (the email was read into its documents, some
	// still in processing) or "processed" (every document reached a
	// status of its own: committed, in review, rejected, refused, failed).
	// A message seen but not stored is listed among the failures.
	State string `json:"state"`
	// Moved is true once the message left the polled folder.
	Moved bool `json:"moved"`
	// Reply is what was decided about answering the sender: "" (not yet),
	// "sent", "not_needed", "skipped" (an automatic sender) or "failed".
	Reply          string     `json:"reply"`
	ReceivedAt     time.Time  `json:"received_at"`
	MovedAt        *time.Time `json:"moved_at"`
	DocumentID     string     `json:"document_id"`
	DocumentStatus string     `json:"document_status"`
	// Parts are the documents the email carried, with their status.
	Parts []TakenPart `json:"parts"`
}

// TakenPart is one document an email carried.
type TakenPart struct {
	DocumentID string `json:"document_id"`
	FileName   string `json:"file_name"`
	Status     string `json:"status"`
}

// Derive sets State from the email document's and its parts' statuses
// (store holds whether the message was moved).
func (t *Taken) Derive(moved bool) {
	t.Moved = moved
	busy := func(s string) bool {
		return s == string(pipeline.StatusReceived) || s == string(pipeline.StatusProcessing)
	}
	switch {
	case busy(t.DocumentStatus):
		t.State = "stored"
	case slices.ContainsFunc(t.Parts, func(p TakenPart) bool { return busy(p.Status) }):
		t.State = "split"
	default:
		t.State = "processed"
	}
}
