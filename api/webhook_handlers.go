package api

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/docflow/docflow/derrors"
	"github.com/docflow/docflow/events"
	"github.com/gin-gonic/gin"
)

// Webhooks keeps the tenants' webhooks and their delivery logs.
type Webhooks interface {
	CreateWebhook(ctx context.Context, actor string, w events.Webhook) (events.Webhook, error)
	Webhook(ctx context.Context, tenantID, id string) (events.Webhook, error)
	Webhooks(ctx context.Context, tenantID string) ([]events.Webhook, error)
	UpdateWebhook(ctx context.Context, actor string, w events.Webhook) (events.Webhook, error)
	DeleteWebhook(ctx context.Context, actor, tenantID, id string) error
	Deliveries(ctx context.Context, tenantID, webhookID string, limit int) ([]events.Delivery, error)
	Redeliver(ctx context.Context, actor, tenantID, webhookID, id string) (events.Delivery, error)
}

// WithWebhooks serves the webhook routes. Without it, they are served when
// the authenticator keeps webhooks too (the PostgreSQL store does).
func WithWebhooks(w Webhooks) Option { return func(s *Server) { s.webhooks = w } }

// webhookJSON is a webhook as the API shows it; the secret only once.
type webhookJSON struct {
	ID          string    `json:"id"`
	URL         string    `json:"url"`
	Description string    `json:"description"`
	EventTypes  []string  `json:"event_types"`
	Enabled     bool      `json:"enabled"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
	Secret      string    `json:"secret,omitempty"`
}

func toWebhookJSON(w events.Webhook) webhookJSON {
	types := w.EventTypes
	if types == nil {
		types = []string{}
	}
	return webhookJSON{ID: w.ID, URL: w.URL, Description: w.Description, EventTypes: types, Enabled: w.Enabled,
		CreatedAt: w.CreatedAt, UpdatedAt: w.UpdatedAt}
}

type attemptJSON struct {
	At         time.Time `json:"at"`
	StatusCode *int      `json:"status_code"`
	Error      string    `json:"error"`
	LatencyMS  float64   `json:"latency_ms"`
}

type deliveryJSON struct {
	ID             string        `json:"id"`
	WebhookID      string        `json:"webhook_id"`
	EventID        string        `json:"event_id"`
	EventType      string        `json:"event_type"`
	DocumentID     string        `json:"document_id"`
	Sequence       int64         `json:"sequence"`
	Status         string        `json:"status"`
	Attempts       int           `json:"attempts"`
	NextAttemptAt  *time.Time    `json:"next_attempt_at"`
	LastStatusCode *int          `json:"last_status_code"`
	LastError      string        `json:"last_error"`
	LastLatencyMS  float64       `json:"last_latency_ms"`
	DeliveredAt    *time.Time    `json:"delivered_at"`
	CreatedAt      time.Time     `json:"created_at"`
	Log            []attemptJSON `json:"log"`
}

func code(n int) *int {
	if n == 0 {
		return nil
	}
	return &n
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func toDeliveryJSON(d events.Delivery) deliveryJSON {
	out := deliveryJSON{ID: d.ID, WebhookID: d.WebhookID, EventID: d.EventID, EventType: d.EventType, DocumentID: d.DocumentID,
		Sequence: d.Sequence, Status: d.Status, Attempts: d.Attempts, LastStatusCode: code(d.LastStatusCode),
		LastError: d.LastError, LastLatencyMS: ms(d.LastLatency), DeliveredAt: d.DeliveredAt, CreatedAt: d.CreatedAt,
		Log: []attemptJSON{}}
	if d.Status == events.DeliveryPending {
		next := d.NextAttemptAt
		out.NextAttemptAt = &next
	}
	for _, a := range d.Log {
		out.Log = append(out.Log, attemptJSON{At: a.At, StatusCode: code(a.StatusCode), Error: a.Error, LatencyMS: ms(a.Latency)})
	}
	return out
}

func (s *Server) webhookStore() (Webhooks, error) {
	if s.webhooks != nil {
		return s.webhooks, nil
	}
	if w, ok := s.auth.(Webhooks); ok {
		return w, nil
	}
	return nil, fmt.Errorf("webhooks are not served: %w", derrors.NotFound)
}

type webhookRequest struct {
	URL         *string   `json:"url"`
	Description *string   `json:"description"`
	EventTypes  *[]string `json:"event_types"`
	Enabled     *bool     `json:"enabled"`
}

// apply sets the fields that the request holds.
func (r webhookRequest) apply(w *events.Webhook) {
	if r.URL != nil {
		w.URL = *r.URL
	}
	if r.Description != nil {
		w.Description = *r.Description
	}
	if r.EventTypes != nil {
		w.EventTypes = *r.EventTypes
	}
	if r.Enabled != nil {
		w.Enabled = *r.Enabled
	}
}

// createWebhook registers a webhook; the answer holds its signing secret,
// shown this once.
func (s *Server) createWebhook(c *gin.Context) error {
	ws, err := s.webhookStore()
	if err != nil {
		return err
	}
	var req webhookRequest
	if err := decodeBody(c, &req); err != nil {
		return err
	}
	p := principal(c)
	w := events.Webhook{TenantID: p.TenantID, Enabled: true}
	req.apply(&w)
	if w, err = ws.CreateWebhook(c.Request.Context(), p.KeyID, w); err != nil {
		return err
	}
	out := toWebhookJSON(w)
	out.Secret = w.Secret
	c.Header("Location", "/v1/webhooks/"+w.ID)
	c.JSON(http.StatusCreated, out)
	return nil
}

func (s *Server) listWebhooks(c *gin.Context) error {
	ws, err := s.webhookStore()
	if err != nil {
		return err
	}
	list, err := ws.Webhooks(c.Request.Context(), principal(c).TenantID)
	if err != nil {
		return err
	}
	out := make([]webhookJSON, len(list))
	for i, w := range list {
		out[i] = toWebhookJSON(w)
	}
	c.JSON(http.StatusOK, gin.H{"items": out})
	return nil
}

func (s *Server) getWebhook(c *gin.Context) error {
	ws, err := s.webhookStore()
	if err != nil {
		return err
	}
	w, err := ws.Webhook(c.Request.Context(), principal(c).TenantID, c.Param("id"))
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, toWebhookJSON(w))
	return nil
}

// updateWebhook changes some of a webhook's settings; a field left out
// keeps its value.
func (s *Server) updateWebhook(c *gin.Context) error {
	ws, err := s.webhookStore()
	if err != nil {
		return err
	}
	p := principal(c)
	w, err := ws.Webhook(c.Request.Context(), p.TenantID, c.Param("id"))
	if err != nil {
		return err
	}
	var req webhookRequest
	if err := decodeBody(c, &req); err != nil {
		return err
	}
	req.apply(&w)
	if w, err = ws.UpdateWebhook(c.Request.Context(), p.KeyID, w); err != nil {
		return err
	}
	c.JSON(http.StatusOK, toWebhookJSON(w))
	return nil
}

func (s *Server) deleteWebhook(c *gin.Context) error {
	ws, err := s.webhookStore()
	if err != nil {
		return err
	}
	p := principal(c)
	if err := ws.DeleteWebhook(c.Request.Context(), p.KeyID, p.TenantID, c.Param("id")); err != nil {
		return err
	}
	c.Status(http.StatusNoContent)
	return nil
}

// listDeliveries is a webhook's delivery log, newest first.
func (s *Server) listDeliveries(c *gin.Context) error {
	ws, err := s.webhookStore()
	if err != nil {
		return err
	}
	limit := 100
	if v := c.Query("limit"); v != "" {
		if limit, err = strconv.Atoi(v); err != nil || limit < 1 || limit > 500 {
			return fmt.Errorf("%w: limit must be 1 to 500", derrors.InvalidArgument)
		}
	}
	list, err := ws.Deliveries(c.Request.Context(), principal(c).TenantID, c.Param("id"), limit)
	if err != nil {
		return err
	}
	out := make([]deliveryJSON, len(list))
	for i, d := range list {
		out[i] = toDeliveryJSON(d)
	}
	c.JSON(http.StatusOK, gin.H{"items": out})
	return nil
}

// redeliver sends a delivery again at once, whatever its state.
func (s *Server) redeliver(c *gin.Context) error {
	ws, err := s.webhookStore()
	if err != nil {
		return err
	}
	p := principal(c)
	d, err := ws.Redeliver(c.Request.Context(), p.KeyID, p.TenantID, c.Param("id"), c.Param("delivery_id"))
	if err != nil {
		return err
	}
	c.JSON(http.StatusAccepted, toDeliveryJSON(d))
	return nil
}
