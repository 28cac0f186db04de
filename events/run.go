package events

import (
	"context"
	"log/slog"
	"net/http"
)

// Options wire a relay for a worker process.
type Options struct {
	Log    Log
	Outbox Outbox
	// KafkaBrokers and KafkaTopic publish to Kafka when the brokers are set.
	KafkaBrokers, KafkaTopic string
	Config                   Config
}

// Run relays, delivers and publishes until ctx ends. It is what a worker
// process starts beside its job workers.
func Run(ctx context.Context, o Options) {
	r := &Relay{Log: o.Log, Outbox: o.Outbox, Config: o.Config.WithDefaults(), Client: NewHTTPClient()}
	if o.KafkaBrokers != "" {
		k, err := NewKafka(o.KafkaBrokers, o.KafkaTopic)
		if err != nil {
			slog.Error("events: kafka is off", "err", err)
		} else {
			defer k.Close()
			r.Publisher = k
		}
	}
	slog.Info("event relay running", "kafka", r.Publisher != nil)
	r.Run(ctx)
}

// NewHTTPClient returns the client that sends webhooks: it does not follow
// redirects (a redirect is an answer that is not 2xx).
func NewHTTPClient() *http.Client {
	return &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}
