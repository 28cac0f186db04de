// Package events tells the rest of the platform what happened to
// documents: a stable, versioned JSON event per state change (see
// api/events.schema.json and docs/events.md), written by the stores in the
// transaction of the change itself (PostgreSQL's event log, or MariaDB's
// outbox for document.committed), then moved, numbered and delivered by
// the relay: to the webhooks that tenants register (signed, retried with
// backoff, in order per document) and to Kafka when configured. Delivery is
// at least once; a receiver drops duplicates by event id.
package events

import (
	"encoding/json"
	"time"

	"github.com/docflow/docflow/pipeline"
	"github.com/google/uuid"
)

// Version is the version of the event schema; a change that is not
// backward compatible makes a new version.
const Version = "1"

// The event types.
const (
	// DocumentReceived: docflow accepted a document (upload, email,
	// attachment of an email); every document's first event.
	DocumentReceived = "document.received"
	// DocumentRefused: the document was refused (at intake or while read).
	DocumentRefused = "document.refused"
	// DocumentNeedsReview: a review task waits for a person.
	DocumentNeedsReview = "document.needs_review"
	// DocumentCommitted: the document is in the system of record.
	DocumentCommitted = "document.committed"
	// DocumentRejected: a reviewer rejected the document.
	DocumentRejected = "document.rejected"
)

// Types returns every event type.
func Types() []string {
	return []string{DocumentReceived, DocumentRefused, DocumentNeedsReview, DocumentCommitted, DocumentRejected}
}

// Event is one event, as sent: the envelope and its data.
type Event struct {
	ID         string    `json:"id"`
	Type       string    `json:"type"`
	Version    string    `json:"version"`
	OccurredAt time.Time `json:"occurred_at"`
	TenantID   string    `json:"tenant_id"`
	DocumentID string    `json:"document_id"`
	// Sequence numbers a document's events, increasing in the order they
	// happened; it is 0 until the event is in the event log.
	Sequence int64 `json:"sequence"`
	Data     Data  `json:"data"`
}

// Data is what an event says about its document: ids, codes and states,
// never a field's value nor the file's name (they may name a person; a
// subscriber reads them through the API, with its own key).
type Data struct {
	// Status is the document's status after the event.
	Status string `json:"status"`
	// DocumentType is contract, timesheet, email or other, once known.
	DocumentType string `json:"document_type,omitempty"`
	// ParentID is the email that a document came in.
	ParentID string `json:"parent_id,omitempty"`
	// Issues are the codes of the document's findings.
	Issues []string `json:"issues,omitempty"`
	// Refusal is the refusal code of a refused document.
	Refusal string `json:"refusal,omitempty"`
	// Review is the review task of needs_review, committed after a
	// review, and rejected.
	Review *Review `json:"review,omitempty"`
	// Record is what a committed contract or timesheet is keyed by in
	// the system of record.
	Record *Record `json:"record,omitempty"`
}

// Review identifies a review task and why it was opened.
type Review struct {
	ID      string   `json:"id"`
	Reasons []string `json:"reasons,omitempty"`
}

// Record identifies the committed row of the system of record.
type Record struct {
	// Kind is contract or timesheet.
	Kind string `json:"kind"`
	// ContractKey is the normalised contract number.
	ContractKey string `json:"contract_key"`
	// PeriodStart and PeriodEnd are a timesheet's period (YYYY-MM-DD).
	PeriodStart string `json:"period_start,omitempty"`
	PeriodEnd   string `json:"period_end,omitempty"`
}

// JSON returns the event as sent.
func (e Event) JSON() []byte {
	b, _ := json.Marshal(e)
	return b
}

// namespace derives the ids of events that must have one id however often
// their transaction runs (a commit job that runs twice).
var namespace = uuid.MustParse("5a0f7d8e-3c4b-4e59-9a53-8d1f6b2c9e10")

// StableID returns the one id of a document's event of type typ, for an
// event that happens once in a document's life.
func StableID(documentID, typ string) string {
	return uuid.NewSHA1(namespace, []byte(documentID+"/"+typ)).String()
}

// New returns an event of type typ about d, with a fresh id (see
// StableID for document.committed).
func New(typ string, d pipeline.Document, at time.Time) Event {
	e := Event{ID: uuid.NewString(), Type: typ, Version: Version, OccurredAt: at.UTC().Truncate(time.Microsecond),
		TenantID: d.TenantID, DocumentID: d.ID,
		Data: Data{Status: string(d.Status), DocumentType: string(d.Type), ParentID: d.ParentID, Refusal: d.Refusal,
			Issues: pipeline.Codes(d.Issues)}}
	if typ == DocumentCommitted {
		e.ID = StableID(d.ID, typ)
		e.Data.Status = string(pipeline.StatusCommitted)
	}
	if d.Review != nil {
		e.Data.Review = &Review{ID: d.Review.ID}
	}
	return e
}

// Committed returns the document.committed event of a contract or
// timesheet written to the system of record.
func Committed(d pipeline.Document, at time.Time) Event {
	e := New(DocumentCommitted, d, at)
	switch {
	case d.Fields.Contract != nil:
		e.Data.Record = &Record{Kind: "contract", ContractKey: pipeline.ContractKey(d.Fields.Contract.ContractNumber)}
	case d.Fields.Timesheet != nil:
		t := d.Fields.Timesheet
		e.Data.Record = &Record{Kind: "timesheet", ContractKey: pipeline.ContractKey(t.ContractNumber)}
		if t.PeriodStart != nil {
			e.Data.Record.PeriodStart = t.PeriodStart.Format(time.DateOnly)
		}
		if t.PeriodEnd != nil {
			e.Data.Record.PeriodEnd = t.PeriodEnd.Format(time.DateOnly)
		}
	}
	return e
}
