package pipeline

import "time"

// Observer hears what the pipeline did, for the operators' metrics. It
// must be cheap and safe for concurrent use; the metrics package
// implements it. A nil Observer on the Service observes nothing.
type Observer interface {
	// Analysed reports the stage timings of one analysis (read,
	// classify, extract, validate) and the extraction's run.
	Analysed(a Analysis)
	// Committed reports a document written to the system of record, with
	// the time from its upload to the commit.
	Committed(uploadToCommit time.Duration)
}

// ModelObserver hears each call of an extractor to a model, with its
// run (tokens, cost, cache) and its error, for the operators' metrics.
type ModelObserver interface {
	ModelCalled(run ExtractionRun, err error)
}
