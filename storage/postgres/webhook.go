package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/docflow/docflow/derrors"
	"github.com/docflow/docflow/events"
	"github.com/docflow/docflow/pipeline"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// webhookSecretContext binds a sealed secret to its webhook.
func webhookSecretContext(id string) string { return "webhook-secret:" + id }

const webhookColumns = `w.id, w.tenant_id, w.url, w.description, w.event_types, w.enabled, w.created_at, w.updated_at`

func scanWebhook(row pgx.Row) (events.Webhook, error) {
	var w events.Webhook
	err := row.Scan(&w.ID, &w.TenantID, &w.URL, &w.Description, &w.EventTypes, &w.Enabled, &w.CreatedAt, &w.UpdatedAt)
	return w, err
}

// CreateWebhook registers a tenant's webhook with a new secret, sealed
// with the store's keyring; the secret is returned this once.
func (s *Store) CreateWebhook(ctx context.Context, actor string, w events.Webhook) (events.Webhook, error) {
	if err := w.Validate(); err != nil {
		return w, err
	}
	w.ID, w.Secret = uuid.NewString(), events.NewSecret()
	sealed, err := s.sealSecret(w.Secret, webhookSecretContext(w.ID))
	if err != nil {
		return w, err
	}
	if w.EventTypes == nil {
		w.EventTypes = []string{}
	}
	err = WithTx(ctx, s.pool, func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, `INSERT INTO webhooks (id, tenant_id, url, description, event_types, secret, enabled)
			VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING created_at, updated_at`,
			w.ID, w.TenantID, w.URL, w.Description, w.EventTypes, sealed, w.Enabled).Scan(&w.CreatedAt, &w.UpdatedAt); err != nil {
			return err
		}
		return s.audit(ctx, tx, pipeline.AuditEntry{TenantID: w.TenantID, Actor: actor, Action: "webhook.created",
			Details: map[string]any{"webhook_id": w.ID, "url": w.URL, "event_types": w.EventTypes}})
	})
	return w, err
}

// Webhook returns one webhook of the tenant (without its secret).
func (s *Store) Webhook(ctx context.Context, tenantID, id string) (events.Webhook, error) {
	w, err := scanWebhook(s.pool.QueryRow(ctx, "SELECT "+webhookColumns+` FROM webhooks w
		WHERE w.tenant_id = $1 AND w.id = $2 AND w.deleted_at IS NULL`, tenantID, id))
	if isInvalidID(err) {
		return w, fmt.Errorf("webhook %q: %w", id, derrors.NotFound)
	}
	return w, notFound(err, "webhook")
}

// Webhooks lists the tenant's webhooks, oldest first.
func (s *Store) Webhooks(ctx context.Context, tenantID string) ([]events.Webhook, error) {
	rows, err := s.pool.Query(ctx, "SELECT "+webhookColumns+` FROM webhooks w
		WHERE w.tenant_id = $1 AND w.deleted_at IS NULL ORDER BY w.created_at, w.id`, tenantID)
	if err != nil {
		return nil, err
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (events.Webhook, error) { return scanWebhook(r) })
	if out == nil {
		out = []events.Webhook{}
	}
	return out, err
}

// UpdateWebhook changes a webhook's URL, description, types and state.
func (s *Store) UpdateWebhook(ctx context.Context, actor string, w events.Webhook) (events.Webhook, error) {
	if err := w.Validate(); err != nil {
		return w, err
	}
	if w.EventTypes == nil {
		w.EventTypes = []string{}
	}
	err := WithTx(ctx, s.pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE webhooks SET url = $3, description = $4, event_types = $5, enabled = $6, updated_at = now()
			WHERE tenant_id = $1 AND id = $2 AND deleted_at IS NULL`, w.TenantID, w.ID, w.URL, w.Description, w.EventTypes, w.Enabled)
		if isInvalidID(err) || (err == nil && tag.RowsAffected() == 0) {
			return fmt.Errorf("webhook %q: %w", w.ID, derrors.NotFound)
		}
		if err != nil {
			return err
		}
		return s.audit(ctx, tx, pipeline.AuditEntry{TenantID: w.TenantID, Actor: actor, Action: "webhook.updated",
			Details: map[string]any{"webhook_id": w.ID, "url": w.URL, "event_types": w.EventTypes, "enabled": w.Enabled}})
	})
	if err != nil {
		return w, err
	}
	return s.Webhook(ctx, w.TenantID, w.ID)
}

// DeleteWebhook removes a webhook: nothing more is sent to it, its
// pending deliveries are dropped as failed; its log stays readable in
// the database for the audit.
func (s *Store) DeleteWebhook(ctx context.Context, actor, tenantID, id string) error {
	return WithTx(ctx, s.pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE webhooks SET deleted_at = now(), enabled = false, updated_at = now()
			WHERE tenant_id = $1 AND id = $2 AND deleted_at IS NULL`, tenantID, id)
		if isInvalidID(err) || (err == nil && tag.RowsAffected() == 0) {
			return fmt.Errorf("webhook %q: %w", id, derrors.NotFound)
		}
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE webhook_deliveries SET status = 'failed', last_error = 'webhook deleted'
			WHERE webhook_id = $1 AND status = 'pending'`, id); err != nil {
			return err
		}
		return s.audit(ctx, tx, pipeline.AuditEntry{TenantID: tenantID, Actor: actor, Action: "webhook.deleted",
			Details: map[string]any{"webhook_id": id}})
	})
}

const deliveryColumns = `d.id, d.tenant_id, d.webhook_id, d.event_id, e.type, d.document_id, d.sequence, d.status, d.attempts,
	d.next_attempt_at, coalesce(d.last_status_code, 0), d.last_error, coalesce(d.last_latency_ms, 0), d.delivered_at, d.created_at`

const deliveryFrom = `FROM webhook_deliveries d JOIN events e ON e.id = d.event_id`

func scanDelivery(row pgx.Row, extra ...any) (events.Delivery, error) {
	var d events.Delivery
	var ms float64
	err := row.Scan(append([]any{&d.ID, &d.TenantID, &d.WebhookID, &d.EventID, &d.EventType, &d.DocumentID, &d.Sequence,
		&d.Status, &d.Attempts, &d.NextAttemptAt, &d.LastStatusCode, &d.LastError, &ms, &d.DeliveredAt, &d.CreatedAt}, extra...)...)
	d.LastLatency = time.Duration(ms * float64(time.Millisecond))
	return d, err
}

// Deliveries lists a webhook's deliveries, newest first, with their attempts.
func (s *Store) Deliveries(ctx context.Context, tenantID, webhookID string, limit int) ([]events.Delivery, error) {
	if _, err := s.Webhook(ctx, tenantID, webhookID); err != nil {
		return nil, err
	}
	if limit <= 0 || limit > 500 {
		limit = 100
	}
	rows, err := s.pool.Query(ctx, "SELECT "+deliveryColumns+" "+deliveryFrom+`
		WHERE d.tenant_id = $1 AND d.webhook_id = $2 ORDER BY d.created_at DESC, d.sequence DESC LIMIT $3`, tenantID, webhookID, limit)
	if err != nil {
		return nil, err
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (events.Delivery, error) { return scanDelivery(r) })
	if err != nil {
		return nil, err
	}
	if out == nil {
		out = []events.Delivery{}
	}
	return out, s.attachAttempts(ctx, out)
}

// Delivery returns one delivery of the tenant's webhook, with its attempts.
func (s *Store) Delivery(ctx context.Context, tenantID, webhookID, id string) (events.Delivery, error) {
	d, err := scanDelivery(s.pool.QueryRow(ctx, "SELECT "+deliveryColumns+" "+deliveryFrom+`
		JOIN webhooks w ON w.id = d.webhook_id AND w.deleted_at IS NULL
		WHERE d.tenant_id = $1 AND d.webhook_id = $2 AND d.id = $3`, tenantID, webhookID, id))
	if isInvalidID(err) {
		return d, fmt.Errorf("delivery %q: %w", id, derrors.NotFound)
	}
	if err != nil {
		return d, notFound(err, "delivery")
	}
	ds := []events.Delivery{d}
	err = s.attachAttempts(ctx, ds)
	return ds[0], err
}

func (s *Store) attachAttempts(ctx context.Context, ds []events.Delivery) error {
	if len(ds) == 0 {
		return nil
	}
	ids := make([]string, len(ds))
	at := map[string]int{}
	for i, d := range ds {
		ids[i], at[d.ID] = d.ID, i
		ds[i].Log = []events.Attempt{}
	}
	rows, err := s.pool.Query(ctx, `SELECT delivery_id, at, coalesce(status_code, 0), error, latency_ms
		FROM webhook_attempts WHERE delivery_id = ANY($1) ORDER BY id`, ids)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		var a events.Attempt
		var ms float64
		if err := rows.Scan(&id, &a.At, &a.StatusCode, &a.Error, &ms); err != nil {
			return err
		}
		a.Latency = time.Duration(ms * float64(time.Millisecond))
		ds[at[id]].Log = append(ds[at[id]].Log, a)
	}
	return rows.Err()
}

// Redeliver sends a delivery again, now: it becomes pending (a document's
// later events wait for it again, to keep their order).
func (s *Store) Redeliver(ctx context.Context, actor, tenantID, webhookID, id string) (events.Delivery, error) {
	if _, err := s.Delivery(ctx, tenantID, webhookID, id); err != nil {
		return events.Delivery{}, err
	}
	err := WithTx(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE webhook_deliveries SET status = 'pending', next_attempt_at = now(),
			created_at = CASE WHEN status = 'failed' THEN now() ELSE created_at END
			WHERE tenant_id = $1 AND webhook_id = $2 AND id = $3 AND status <> 'pending'`, tenantID, webhookID, id); err != nil {
			return err
		}
		return s.audit(ctx, tx, pipeline.AuditEntry{TenantID: tenantID, Actor: actor, Action: "webhook.redelivered",
			Details: map[string]any{"webhook_id": webhookID, "delivery_id": id}})
	})
	if err != nil {
		return events.Delivery{}, err
	}
	return s.Delivery(ctx, tenantID, webhookID, id)
}
