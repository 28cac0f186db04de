package metrics

import (
	"time"

	"github.com/docflow/docflow/mail"
	"github.com/docflow/docflow/pipeline"
)

// Analysed observes the stage timings of one analysis; stages that did
// not run (a refused read stops the others) are not observed.
func (m *Metrics) Analysed(a pipeline.Analysis) {
	for stage, d := range map[string]time.Duration{"read": a.Timings.Read, "classify": a.Timings.Classify,
		"extract": a.Timings.Extract, "validate": a.Timings.Validate} {
		if d > 0 {
			m.stage.WithLabelValues(stage).Observe(d.Seconds())
		}
	}
}

// Committed observes a commit and its time from upload.
func (m *Metrics) Committed(uploadToCommit time.Duration) {
	m.committed.Inc()
	m.uploadToCommit.Observe(uploadToCommit.Seconds())
}

// ModelCalled counts a call to the model with its tokens and cost.
func (m *Metrics) ModelCalled(run pipeline.ExtractionRun, err error) {
	model := run.Model
	if model == "" {
		model = "unknown"
	}
	switch {
	case err != nil:
		m.llmCalls.WithLabelValues(model, "error").Inc()
	case run.CacheHit:
		m.llmCalls.WithLabelValues(model, "cache_hit").Inc()
	default:
		m.llmCalls.WithLabelValues(model, "ok").Inc()
	}
	m.llmTokens.WithLabelValues(model, "input").Add(float64(run.InputTokens))
	m.llmTokens.WithLabelValues(model, "output").Add(float64(run.OutputTokens))
	m.llmCost.WithLabelValues(model).Add(run.CostEstimate)
}

// MailPolled counts a mailbox poll and the messages it handled; it fits
// mail.Poller.OnPoll.
func (m *Metrics) MailPolled(res mail.Result, err error) {
	switch {
	case err != nil:
		m.mailPolls.WithLabelValues("error").Inc()
	case res.Busy:
		m.mailPolls.WithLabelValues("busy").Inc()
	default:
		m.mailPolls.WithLabelValues("ok").Inc()
	}
	for result, n := range map[string]int{"taken": res.Taken, "moved": res.Moved, "failed": res.Failed, "parked": res.Parked, "skipped": res.Skipped} {
		m.mailMessages.WithLabelValues(result).Add(float64(n))
	}
}

var (
	_ pipeline.Observer      = (*Metrics)(nil)
	_ pipeline.ModelObserver = (*Metrics)(nil)
)
