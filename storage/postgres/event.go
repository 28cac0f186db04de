package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/docflow/docflow/events"
	"github.com/docflow/docflow/pipeline"
	"github.com/jackc/pgx/v5"
)

var _ events.Log = (*Store)(nil)

// importLock serialises imports from the outbox across processes (a
// transaction-level advisory lock).
const importLock = 0x646f63666c6f7701 // "docflow" 01

// publishLock lets one process at a time publish to Kafka, in order.
const publishLock = 0x646f63666c6f7702

// emit appends an event about d in tx, the transaction of the change.
func emit(ctx context.Context, tx pgx.Tx, typ string, d pipeline.Document) error {
	_, err := appendEvent(ctx, tx, events.New(typ, d, time.Now()))
	return err
}

// appendEvent numbers the event in its document's sequence, writes it to
// the log and makes one delivery per enabled webhook of the tenant that
// takes its type; an event already in the log is left alone (false). The
// document's sequence row is locked until tx ends, so a document's events
// are numbered in the order their transactions commit.
func appendEvent(ctx context.Context, tx pgx.Tx, e events.Event) (bool, error) {
	var exists bool
	if err := tx.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM events WHERE id = $1)", e.ID).Scan(&exists); err != nil || exists {
		return false, err
	}
	if err := tx.QueryRow(ctx, `INSERT INTO event_sequences (document_id, last) VALUES ($1, 1)
		ON CONFLICT (document_id) DO UPDATE SET last = event_sequences.last + 1 RETURNING last`, e.DocumentID).Scan(&e.Sequence); err != nil {
		return false, err
	}
	data, err := json.Marshal(e.Data)
	if err != nil {
		return false, err
	}
	tag, err := tx.Exec(ctx, `INSERT INTO events (id, tenant_id, document_id, sequence, type, version, occurred_at, data)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (id) DO NOTHING`,
		e.ID, e.TenantID, e.DocumentID, e.Sequence, e.Type, e.Version, e.OccurredAt, data)
	if err != nil || tag.RowsAffected() == 0 {
		return false, err
	}
	_, err = tx.Exec(ctx, `INSERT INTO webhook_deliveries (id, tenant_id, webhook_id, event_id, document_id, sequence)
		SELECT gen_random_uuid(), w.tenant_id, w.id, $2, $3, $4 FROM webhooks w
		WHERE w.tenant_id = $1 AND w.enabled AND w.deleted_at IS NULL
		AND (cardinality(w.event_types) = 0 OR $5 = ANY(w.event_types))`,
		e.TenantID, e.ID, e.DocumentID, e.Sequence, e.Type)
	return true, err
}

// Import appends the outbox's events to the log, each once.
func (s *Store) Import(ctx context.Context, evs []events.Event) error {
	return WithTx(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", int64(importLock)); err != nil {
			return err
		}
		for _, e := range evs {
			if _, err := appendEvent(ctx, tx, e); err != nil {
				return err
			}
		}
		return nil
	})
}

const eventColumns = `e.id, e.type, e.version, e.occurred_at, e.tenant_id, e.document_id, e.sequence, e.data`

func scanEvent(row pgx.Row, extra ...any) (events.Event, error) {
	var e events.Event
	var data []byte
	if err := row.Scan(append([]any{&e.ID, &e.Type, &e.Version, &e.OccurredAt, &e.TenantID, &e.DocumentID, &e.Sequence, &data}, extra...)...); err != nil {
		return e, err
	}
	e.OccurredAt = e.OccurredAt.UTC()
	return e, json.Unmarshal(data, &e.Data)
}

// ClaimDeliveries takes due deliveries, each the first pending one of its
// webhook and document, and leases them: their next attempt moves to
// now+lease, so neither this nor another process sends them again before
// the lease ends (a crash between send and record resends after it).
func (s *Store) ClaimDeliveries(ctx context.Context, limit int, lease time.Duration) ([]events.Send, error) {
	var out []events.Send
	err := WithTx(ctx, s.pool, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `WITH due AS (
			SELECT d.id FROM webhook_deliveries d
			WHERE d.status = 'pending' AND d.next_attempt_at <= now()
			AND NOT EXISTS (SELECT 1 FROM webhook_deliveries p WHERE p.webhook_id = d.webhook_id
				AND p.document_id = d.document_id AND p.sequence < d.sequence AND p.status = 'pending')
			ORDER BY d.next_attempt_at LIMIT $1 FOR UPDATE SKIP LOCKED)
			UPDATE webhook_deliveries d SET next_attempt_at = now() + $2::interval, attempts = d.attempts + 1
			FROM due WHERE d.id = due.id
			RETURNING d.id`, limit, lease.String())
		if err != nil {
			return err
		}
		ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil || len(ids) == 0 {
			return err
		}
		rows, err = tx.Query(ctx, "SELECT "+deliveryColumns+", w.url, w.secret, "+eventColumns+" "+deliveryFrom+`
			JOIN webhooks w ON w.id = d.webhook_id WHERE d.id = ANY($1) ORDER BY d.sequence`, ids)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var snd events.Send
			var ev events.Event
			var data []byte
			dl, err := scanDelivery(rows, &snd.URL, &snd.Secret, &ev.ID, &ev.Type, &ev.Version, &ev.OccurredAt,
				&ev.TenantID, &ev.DocumentID, &ev.Sequence, &data)
			if err != nil {
				return err
			}
			if err := json.Unmarshal(data, &ev.Data); err != nil {
				return err
			}
			ev.OccurredAt = ev.OccurredAt.UTC()
			snd.Delivery, snd.Event = dl, ev
			out = append(out, snd)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, err
	}
	for i := range out {
		secret, err := s.openSecret(out[i].Secret, webhookSecretContext(out[i].Delivery.WebhookID))
		if err != nil {
			return nil, err
		}
		out[i].Secret = secret
	}
	return out, nil
}

// RecordAttempt stores an attempt and the delivery's new state.
func (s *Store) RecordAttempt(ctx context.Context, d events.Delivery, o events.Outcome) error {
	return WithTx(ctx, s.pool, func(tx pgx.Tx) error {
		var code *int
		if o.Attempt.StatusCode != 0 {
			code = &o.Attempt.StatusCode
		}
		ms := float64(o.Attempt.Latency.Microseconds()) / 1000
		if _, err := tx.Exec(ctx, `INSERT INTO webhook_attempts (delivery_id, tenant_id, at, status_code, error, latency_ms)
			VALUES ($1, $2, $3, $4, $5, $6)`, d.ID, d.TenantID, o.Attempt.At, code, o.Attempt.Error, ms); err != nil {
			return err
		}
		next := o.NextAttemptAt
		if next.IsZero() {
			next = time.Now()
		}
		_, err := tx.Exec(ctx, `UPDATE webhook_deliveries SET status = $2, next_attempt_at = $3, last_status_code = $4,
			last_error = $5, last_latency_ms = $6,
			delivered_at = CASE WHEN $2 = 'delivered' THEN now() ELSE delivered_at END
			WHERE id = $1 AND status = 'pending'`, d.ID, o.Status, next, code, o.Attempt.Error, ms)
		return err
	})
}

// PublishPending hands the events not yet published, in log order, to
// publish, and marks them published when it succeeds. One process at a
// time publishes (an advisory lock); the others skip the round.
func (s *Store) PublishPending(ctx context.Context, limit int, publish func(context.Context, []events.Event) error) (int, error) {
	n := 0
	err := WithTx(ctx, s.pool, func(tx pgx.Tx) error {
		var locked bool
		if err := tx.QueryRow(ctx, "SELECT pg_try_advisory_xact_lock($1)", int64(publishLock)).Scan(&locked); err != nil || !locked {
			return err
		}
		rows, err := tx.Query(ctx, "SELECT "+eventColumns+" FROM events e WHERE e.kafka_published_at IS NULL ORDER BY e.posn LIMIT $1", limit)
		if err != nil {
			return err
		}
		evs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (events.Event, error) { return scanEvent(r) })
		if err != nil || len(evs) == 0 {
			return err
		}
		if err := publish(ctx, evs); err != nil {
			return err
		}
		ids := make([]string, len(evs))
		for i, e := range evs {
			ids[i] = e.ID
		}
		_, err = tx.Exec(ctx, "UPDATE events SET kafka_published_at = now() WHERE id = ANY($1)", ids)
		n = len(evs)
		return err
	})
	if errors.Is(err, pgx.ErrNoRows) {
		err = nil
	}
	return n, err
}

// Events lists a tenant's events, oldest first (for tests and tools).
func (s *Store) Events(ctx context.Context, tenantID string) ([]events.Event, error) {
	rows, err := s.pool.Query(ctx, "SELECT "+eventColumns+" FROM events e WHERE e.tenant_id = $1 ORDER BY e.posn", tenantID)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (events.Event, error) { return scanEvent(r) })
}
