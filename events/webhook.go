package events

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"time"

	"github.com/docflow/docflow/derrors"
)

// Webhook is an endpoint that a tenant registered to receive its events.
type Webhook struct {
	ID       string
	TenantID string
	URL      string
	// Description says what the endpoint is, for people.
	Description string
	// EventTypes filters the events sent; empty sends every type.
	EventTypes []string
	// Secret signs the deliveries; the API shows it once, at creation.
	Secret    string
	Enabled   bool
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Validate checks the URL and the event types.
func (w Webhook) Validate() error {
	u, err := url.Parse(w.URL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return fmt.Errorf("%w: url must be an absolute http or https URL", derrors.InvalidArgument)
	}
	if u.User != nil {
		return fmt.Errorf("%w: url must not hold credentials", derrors.InvalidArgument)
	}
	for _, t := range w.EventTypes {
		if !slices.Contains(Types(), t) {
			return fmt.Errorf("%w: unknown event type %q", derrors.InvalidArgument, t)
		}
	}
	return nil
}

// The states of a delivery.
const (
	// DeliveryPending is to be sent (or being sent: claimed until its
	// next attempt time).
	DeliveryPending = "pending"
	// DeliveryDelivered was acknowledged with a 2xx answer.
	DeliveryDelivered = "delivered"
	// DeliveryFailed was given up after the retries; a manual redelivery
	// sends it again.
	DeliveryFailed = "failed"
)

// Delivery is one event for one webhook, with how its sending went.
type Delivery struct {
	ID         string
	TenantID   string
	WebhookID  string
	EventID    string
	EventType  string
	DocumentID string
	Sequence   int64
	Status     string
	Attempts   int
	// NextAttemptAt is when a pending delivery is sent next.
	NextAttemptAt  time.Time
	LastStatusCode int
	LastError      string
	LastLatency    time.Duration
	DeliveredAt    *time.Time
	CreatedAt      time.Time
	// Log holds the attempts, oldest first (in lists and single reads).
	Log []Attempt
}

// Attempt is one try to send a delivery.
type Attempt struct {
	At         time.Time
	StatusCode int
	Error      string
	Latency    time.Duration
}

// Send is a claimed delivery with what sending it needs.
type Send struct {
	Delivery Delivery
	URL      string
	Secret   string
	Event    Event
}

// Outcome is how an attempt ended and what comes next.
type Outcome struct {
	Attempt Attempt
	// Status is the delivery's new status; NextAttemptAt applies to pending.
	Status        string
	NextAttemptAt time.Time
}

// Log is the event log and the webhooks' deliveries, in PostgreSQL.
type Log interface {
	// Import appends events from the outbox, each once (by id), numbering
	// them per document; it is safe to run from several processes.
	Import(ctx context.Context, evs []Event) error
	// ClaimDeliveries takes up to limit due deliveries, each the oldest
	// unacknowledged of its webhook and document, and leases them until
	// now+lease (FOR UPDATE SKIP LOCKED): no other process sends them
	// before the lease ends.
	ClaimDeliveries(ctx context.Context, limit int, lease time.Duration) ([]Send, error)
	// RecordAttempt stores an attempt and the delivery's new state.
	RecordAttempt(ctx context.Context, d Delivery, o Outcome) error
	// PublishPending hands the events not yet on Kafka, oldest first, to
	// publish, and marks those it accepted; one process at a time.
	PublishPending(ctx context.Context, limit int, publish func(context.Context, []Event) error) (int, error)
}

// Outbox is MariaDB's outbox of events written by commits.
type Outbox interface {
	// PendingOutbox returns up to limit events not yet relayed, oldest first.
	PendingOutbox(ctx context.Context, limit int) ([]Event, error)
	// MarkRelayed records that the events are in the event log.
	MarkRelayed(ctx context.Context, ids []string) error
}
