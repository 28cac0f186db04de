package run

import (
	"context"
	"time"

	"github.com/docflow/docflow/derrors"
	"github.com/docflow/docflow/evals/cassette"
	"github.com/docflow/docflow/evals/score"
	"github.com/docflow/docflow/pipeline"
)

// analyze runs the Analyzer on one file or part, as `docflow extract`
// does: an email's parts are analysed in turn and listed as attachments,
// and the email's cost is the sum of its own and its parts'. Contracts
// that count as committed are added to v for what follows.
func (r *Runner) analyze(ctx context.Context, name string, data []byte, v *view) (score.Result, []error) {
	mctx, meter := cassette.WithMeter(ctx)
	start, waited := time.Now(), v.wait()
	a, err := r.Analyzer.Analyze(mctx, name, data, v, r.Rules)
	res := score.Result{DocumentType: string(a.Type), Format: a.Format}
	// A replayed answer costs its recorded latency, not the replay's time,
	// and waiting for the earlier lines' contracts (which depends on -j and
	// on their speed) is not this document's time.
	elapsed := time.Since(start) - (v.wait() - waited)
	res.LatencySeconds = (elapsed - meter.Spent() + meter.Latency()).Seconds()
	addCost(&res, a.Run, meter)
	if err != nil {
		res.Error = err.Error()
		if ref, ok := derrors.AsRefusal(err); ok {
			res.Refusal, res.DocumentType, res.Error = ref.Code, "", ref.Message
		}
		return res, []error{err}
	}
	if a.Type == pipeline.TypeEmail {
		var errs []error
		res.Attachments = []score.Result{}
		for _, p := range a.Parts {
			pr, perrs := r.analyze(ctx, p.Name, p.Data, v)
			pr.Name = p.Name
			res.Attachments = append(res.Attachments, pr)
			errs = append(errs, perrs...)
			res.InputTokens += pr.InputTokens
			res.OutputTokens += pr.OutputTokens
			res.CostUSD += pr.CostUSD
			res.LatencySeconds += pr.LatencySeconds
			res.LLMCalls += pr.LLMCalls
			res.CacheHits += pr.CacheHits
		}
		return res, errs
	}
	res.Fields, res.Confidence = a.Fields.Map(), a.Fields.Confidence
	res.Issues = make([]score.Issue, 0, len(a.Issues))
	for _, i := range a.Issues {
		res.Issues = append(res.Issues, score.Issue{Code: i.Code, Severity: string(i.Severity)})
	}
	v.commit(a)
	return res, nil
}

// addCost copies an extraction run's cost into res. The model calls are
// the Meter's when the backend is a cassette.Backend; otherwise one is
// assumed for a run that asked a model and did not hit the cache.
func addCost(res *score.Result, run pipeline.ExtractionRun, m *cassette.Meter) {
	res.InputTokens, res.OutputTokens, res.CostUSD = run.InputTokens, run.OutputTokens, run.CostEstimate
	res.LLMCalls = m.Calls()
	if run.Model == "" {
		return
	}
	if run.CacheHit {
		res.CacheHits = 1
	} else if res.LLMCalls == 0 {
		res.LLMCalls = 1
	}
}
