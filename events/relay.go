package events

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// Config tunes the relay; zero values take the defaults.
type Config struct {
	// Poll is how often the relay looks for work when idle (default 1 s).
	Poll time.Duration
	// Timeout bounds one webhook request (default 10 s).
	Timeout time.Duration
	// Lease is how long a claimed delivery is held before another process
	// may send it again, longer than Timeout (default 2 min).
	Lease time.Duration
	// BackoffBase and BackoffMax shape the exponential backoff between
	// attempts (defaults 10 s and 1 h); each wait is drawn at random
	// between half and all of min(BackoffBase·2^(attempts-1), BackoffMax).
	BackoffBase, BackoffMax time.Duration
	// MaxAge is how long after its event a delivery is retried before it
	// is marked failed (default 24 h).
	MaxAge time.Duration
	// Batch is how many deliveries are claimed and sent at once (default 16).
	Batch int
}

// WithDefaults returns c with its zero values set to the defaults.
func (c Config) WithDefaults() Config {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&c.Poll, time.Second)
	def(&c.Timeout, 10*time.Second)
	def(&c.Lease, 2*time.Minute)
	def(&c.BackoffBase, 10*time.Second)
	def(&c.BackoffMax, time.Hour)
	def(&c.MaxAge, 24*time.Hour)
	if c.Lease < c.Timeout {
		c.Lease = 2 * c.Timeout
	}
	if c.Batch <= 0 {
		c.Batch = 16
	}
	return c
}

// Relay moves events from MariaDB's outbox into the event log, delivers
// them to webhooks and publishes them to Kafka. Several processes may run
// one each: the log's locks keep a delivery from being sent twice at once.
type Relay struct {
	Log    Log
	Outbox Outbox
	// Publisher, when set, receives every event (Kafka).
	Publisher Publisher
	Client    *http.Client
	Config    Config
	// AfterSend, for tests, runs after a request was answered and before
	// the answer is recorded; an error stops the step there, as a crash
	// would.
	AfterSend func(Send) error
	now       func() time.Time
}

// Publisher publishes events in order; Kafka implements it.
type Publisher interface {
	Publish(ctx context.Context, evs []Event) error
}

// Run runs the relay until ctx ends, logging the failures of its steps.
func (r *Relay) Run(ctx context.Context) {
	cfg := r.Config.WithDefaults()
	for {
		busy, err := r.Step(ctx)
		if err != nil && ctx.Err() == nil {
			slog.Warn("event relay step failed", "err", err)
		}
		wait := cfg.Poll
		if busy && err == nil {
			wait = 0
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
	}
}

// Step does one round: relay the outbox, send the due deliveries, publish
// to Kafka. busy reports that it found work (another round may find more).
func (r *Relay) Step(ctx context.Context) (busy bool, err error) {
	cfg := r.Config.WithDefaults()
	n, err := r.relayOutbox(ctx, cfg.Batch*8)
	if err != nil {
		return false, fmt.Errorf("relay outbox: %w", err)
	}
	sent, err := r.deliver(ctx, cfg)
	if err != nil {
		return false, fmt.Errorf("deliver: %w", err)
	}
	published := 0
	if r.Publisher != nil {
		if published, err = r.Log.PublishPending(ctx, 500, r.Publisher.Publish); err != nil {
			return false, fmt.Errorf("publish: %w", err)
		}
	}
	return n+sent+published > 0, nil
}

// relayOutbox moves a batch of the outbox into the log. A crash between
// the two writes relays the batch again; Import skips what it has.
func (r *Relay) relayOutbox(ctx context.Context, limit int) (int, error) {
	if r.Outbox == nil {
		return 0, nil
	}
	evs, err := r.Outbox.PendingOutbox(ctx, limit)
	if err != nil || len(evs) == 0 {
		return 0, err
	}
	if err := r.Log.Import(ctx, evs); err != nil {
		return 0, err
	}
	ids := make([]string, len(evs))
	for i, e := range evs {
		ids[i] = e.ID
	}
	return len(evs), r.Outbox.MarkRelayed(ctx, ids)
}

// deliver claims a batch of deliveries and sends them at once; a
// document's next event waits for its previous one, which the claim sees.
func (r *Relay) deliver(ctx context.Context, cfg Config) (int, error) {
	sends, err := r.Log.ClaimDeliveries(ctx, cfg.Batch, cfg.Lease)
	if err != nil || len(sends) == 0 {
		return 0, err
	}
	var wg sync.WaitGroup
	errs := make([]error, len(sends))
	for i, s := range sends {
		wg.Go(func() { errs[i] = r.send(ctx, cfg, s) })
	}
	wg.Wait()
	return len(sends), errors.Join(errs...)
}

// send makes one attempt and records it.
func (r *Relay) send(ctx context.Context, cfg Config, s Send) error {
	a := r.post(ctx, cfg, s)
	if r.AfterSend != nil {
		if err := r.AfterSend(s); err != nil {
			return err
		}
	}
	return r.Log.RecordAttempt(context.WithoutCancel(ctx), s.Delivery, r.outcome(cfg, s.Delivery, a))
}

// outcome decides what follows an attempt: delivered on 2xx, else a retry
// after the backoff, or failed once the delivery is older than MaxAge.
func (r *Relay) outcome(cfg Config, d Delivery, a Attempt) Outcome {
	now := r.clock()
	if a.Error == "" && a.StatusCode >= 200 && a.StatusCode < 300 {
		return Outcome{Attempt: a, Status: DeliveryDelivered}
	}
	next := now.Add(Backoff(cfg.BackoffBase, cfg.BackoffMax, d.Attempts))
	if next.Sub(d.CreatedAt) > cfg.MaxAge {
		return Outcome{Attempt: a, Status: DeliveryFailed}
	}
	return Outcome{Attempt: a, Status: DeliveryPending, NextAttemptAt: next}
}

// Backoff is the wait after the attempts-th failed attempt: exponential,
// bounded by max, with jitter (between half and all of it).
func Backoff(base, max time.Duration, attempts int) time.Duration {
	d := base
	for i := 1; i < attempts && d < max; i++ {
		d *= 2
	}
	d = min(d, max)
	return d/2 + rand.N(d/2+1)
}

// post sends the event, signed, and returns the attempt.
func (r *Relay) post(ctx context.Context, cfg Config, s Send) Attempt {
	body := s.Event.JSON()
	start := r.clock()
	a := Attempt{At: start}
	rctx, cancel := context.WithTimeout(ctx, cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(rctx, http.MethodPost, s.URL, bytes.NewReader(body))
	if err != nil {
		a.Error = err.Error()
		return a
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "docflow-webhooks/1")
	req.Header.Set("Docflow-Event-Id", s.Event.ID)
	req.Header.Set("Docflow-Event-Type", s.Event.Type)
	req.Header.Set("Docflow-Delivery-Id", s.Delivery.ID)
	req.Header.Set("Docflow-Attempt", strconv.Itoa(s.Delivery.Attempts))
	req.Header.Set(SignatureHeader, Sign(s.Secret, r.clock(), body))
	client := r.Client
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	a.Latency = time.Since(start)
	if err != nil {
		a.Error = err.Error()
		return a
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	a.StatusCode = resp.StatusCode
	if resp.StatusCode < 200 || resp.StatusCode >= 300 {
		a.Error = "answered " + resp.Status
	}
	return a
}

func (r *Relay) clock() time.Time {
	if r.now != nil {
		return r.now()
	}
	return time.Now()
}
