package run_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/docflow/docflow/evals/run"
	"github.com/docflow/docflow/extractors/classify"
	"github.com/docflow/docflow/extractors/reader"
	"github.com/docflow/docflow/extractors/rules"
	"github.com/docflow/docflow/pipeline"
	"github.com/docflow/docflow/pipeline/validate"
)

// verySlowReader holds back the files whose name contains "slow" long
// enough that a document waiting for one stands out.
type verySlowReader struct{ pipeline.Reader }

func (r verySlowReader) Read(ctx context.Context, name string, data []byte) (pipeline.Content, error) {
	if strings.Contains(name, "slow") {
		time.Sleep(2 * time.Second)
	}
	return r.Reader.Read(ctx, name, data)
}

// A timesheet's latency is what analysing it took, not the time it spent
// waiting for an earlier (slow) line to finish for the cross-document
// rules: otherwise latency per document depends on -j. The slow line keeps
// its own time.
func TestLatencyLeavesOutWaitForEarlierLines(t *testing.T) {
	t.Parallel()
	dir, _ := write(t,
		contract("c-slow.txt", "CM-2026-000100"),
		timesheet("t-fast.txt", "CM-2026-000100"),
	)
	an := pipeline.Analyzer{Reader: verySlowReader{reader.New(reader.Config{})}, Classifier: classify.New(),
		Extractor: rules.New(), Validator: validate.New(validate.DefaultConfig())}
	for _, j := range []int{1, 2} {
		got, err := (&run.Runner{Analyzer: an, Parallelism: j}).Run(context.Background(), dir)
		if err != nil {
			t.Fatal(err)
		}
		if got[1].Error != "" || slices.Contains(codes(got[1]), "timesheet.unknown_contract") {
			t.Fatalf("-j %d: the timesheet did not see its contract: %+v", j, got[1])
		}
		if l := got[0].LatencySeconds; l < 2 {
			t.Errorf("-j %d: c-slow.txt latency %.3fs, want at least the 2s its reading takes", j, l)
		}
		// Half the wait: ample room for a loaded machine or the race
		// detector (reading the timesheet takes milliseconds).
		if l := got[1].LatencySeconds; l > 1 {
			t.Errorf("-j %d: timesheet latency %.3fs, but reading it takes no time; it counts the %.3fs spent waiting for c-slow.txt",
				j, l, got[0].LatencySeconds)
		}
	}
}
