package config

import (
	"fmt"
	"io"
	"time"
)

// Events configures the event relay that worker processes run: webhook
// deliveries and, with brokers set, Kafka.
type Events struct {
	// KafkaBrokers, comma-separated host:port, publish every event to
	// Kafka when set (DOCFLOW_KAFKA_BROKERS).
	KafkaBrokers string
	// KafkaTopic is the topic (DOCFLOW_KAFKA_TOPIC, default docflow.events).
	KafkaTopic string
	// Poll is how often an idle relay looks for events (DOCFLOW_EVENTS_POLL, default 1s).
	Poll time.Duration
	// WebhookTimeout bounds one webhook request (DOCFLOW_WEBHOOK_TIMEOUT, default 10s).
	WebhookTimeout time.Duration
	// WebhookMaxAge is how long a delivery is retried before it is marked
	// failed (DOCFLOW_WEBHOOK_MAX_AGE, default 24h).
	WebhookMaxAge time.Duration
	// WebhookAllowPrivate lets webhooks reach loopback and private
	// addresses (DOCFLOW_WEBHOOK_ALLOW_PRIVATE, default false).
	WebhookAllowPrivate bool
}

func loadEvents(get func(name, def string) string, errs *[]string) Events {
	e := Events{KafkaBrokers: get("DOCFLOW_KAFKA_BROKERS", ""), KafkaTopic: get("DOCFLOW_KAFKA_TOPIC", "docflow.events")}
	for name, d := range map[string]struct {
		dst *time.Duration
		def string
	}{"DOCFLOW_EVENTS_POLL": {&e.Poll, "1s"}, "DOCFLOW_WEBHOOK_TIMEOUT": {&e.WebhookTimeout, "10s"}, "DOCFLOW_WEBHOOK_MAX_AGE": {&e.WebhookMaxAge, "24h"}} {
		v := get(name, d.def)
		var err error
		if *d.dst, err = time.ParseDuration(v); err != nil || *d.dst <= 0 {
			*errs = append(*errs, fmt.Sprintf("%s must be a positive duration such as %s, not %q", name, d.def, v))
		}
	}
	e.WebhookAllowPrivate = get("DOCFLOW_WEBHOOK_ALLOW_PRIVATE", "false") == "true"
	if e.KafkaBrokers != "" && e.KafkaTopic == "" {
		*errs = append(*errs, "DOCFLOW_KAFKA_TOPIC must name a topic when DOCFLOW_KAFKA_BROKERS is set")
	}
	return e
}

func (e Events) dump(w io.Writer) {
	fmt.Fprintf(w, "config: events poll=%s webhook_timeout=%s webhook_max_age=%s kafka_brokers=%s kafka_topic=%s\n",
		e.Poll, e.WebhookTimeout, e.WebhookMaxAge, e.KafkaBrokers, e.KafkaTopic)
}
