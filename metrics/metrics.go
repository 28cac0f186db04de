// Package metrics exposes docflow's Prometheus metrics: counters and
// histograms that the pipeline, the model extractor and the mail poller
// report through small hooks (pipeline.Observer, pipeline.ModelObserver,
// mail.Poller.OnPoll), and gauges read from PostgreSQL at scrape time
// (documents by stage and status, River's queues, the review backlog).
// Labels are bounded: stages, statuses, queues, models, never a document
// or tenant id.
package metrics

import (
	"crypto/subtle"
	"net/http"
	"strings"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics holds docflow's metrics in their own registry.
type Metrics struct {
	reg *prometheus.Registry

	stage          *prometheus.HistogramVec
	uploadToCommit prometheus.Histogram
	committed      prometheus.Counter
	llmCalls       *prometheus.CounterVec
	llmTokens      *prometheus.CounterVec
	llmCost        *prometheus.CounterVec
	mailPolls      *prometheus.CounterVec
	mailMessages   *prometheus.CounterVec
}

// New returns the metrics, with Go's runtime and process collectors; with
// pool set, the gauges read from PostgreSQL at each scrape are added.
func New(pool *pgxpool.Pool) *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry()}
	m.reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if pool != nil {
		m.reg.MustRegister(&dbCollector{pool: pool})
	}
	latency := []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 120}
	m.stage = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "docflow_stage_duration_seconds",
		Help: "Time spent in each in-process stage of a document: read, classify, extract, validate.", Buckets: latency},
		[]string{"stage"})
	m.uploadToCommit = prometheus.NewHistogram(prometheus.HistogramOpts{Name: "docflow_upload_to_commit_seconds",
		Help:    "Time from a document's upload to its commit to the system of record (reviews included).",
		Buckets: []float64{.1, .25, .5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600, 4 * 3600, 24 * 3600}})
	m.committed = prometheus.NewCounter(prometheus.CounterOpts{Name: "docflow_documents_committed_total",
		Help: "Documents committed to the system of record by this process."})
	m.llmCalls = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "docflow_llm_calls_total",
		Help: "Calls to the model by outcome: ok, cache_hit or error."}, []string{"model", "outcome"})
	m.llmTokens = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "docflow_llm_tokens_total",
		Help: "Model tokens used, by direction: input or output."}, []string{"model", "direction"})
	m.llmCost = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "docflow_llm_cost_usd_total",
		Help: "Estimated cost of the model calls in USD (from the configured prices)."}, []string{"model"})
	m.mailPolls = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "docflow_mail_polls_total",
		Help: "Mailbox polls by outcome: ok, busy (another process polled) or error."}, []string{"outcome"})
	m.mailMessages = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "docflow_mail_messages_total",
		Help: "Mail messages handled by the polls: taken, moved, failed, parked or skipped."}, []string{"result"})
	m.reg.MustRegister(m.stage, m.uploadToCommit, m.committed, m.llmCalls, m.llmTokens, m.llmCost, m.mailPolls, m.mailMessages)
	return m
}

// Registry is where the metrics are registered, for more collectors.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// WatchBreaker adds a gauge that is 1 while the model provider's circuit
// breaker is open.
func (m *Metrics) WatchBreaker(b interface{ Open() bool }) {
	m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "docflow_llm_breaker_open",
		Help: "1 while the circuit breaker of the model provider is open (the model is not asked)."},
		func() float64 {
			if b.Open() {
				return 1
			}
			return 0
		}))
}

// Handler serves the metrics in Prometheus' text format. With token set,
// a scrape must carry it as a bearer token.
func (m *Metrics) Handler(token string) http.Handler {
	h := promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError})
	if token == "" {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || subtle.ConstantTimeCompare([]byte(got), []byte(token)) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="metrics"`)
			http.Error(w, "a bearer token is required", http.StatusUnauthorized)
			return
		}
		h.ServeHTTP(w, r)
	})
}
