package run_test

import (
	"context"
	"slices"
	"testing"

	"github.com/docflow/docflow/evals/dataset"
	"github.com/docflow/docflow/evals/run"
	"github.com/docflow/docflow/evals/score"
)

// The same file listed twice, before and after its contract (a re-sent
// timesheet): the runner gets each line right, and each line is scored
// with its own result, not both with the last one for the file. A dataset
// may list a file twice, so reading it is no error.
func TestFileListedTwiceIsScoredWithEachLinesOwnResult(t *testing.T) {
	t.Parallel()
	ts := timesheet("t.txt", "CM-2026-000100")
	first := ts
	first.line.ExpectedIssues = []string{"timesheet.unknown_contract"}
	dir, lines := write(t, first, contract("c.txt", "CM-2026-000100"), ts)
	got, err := (&run.Runner{Analyzer: rulesAnalyzer(), Parallelism: 1}).RunLines(context.Background(), dir, lines)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(codes(got[0]), "timesheet.unknown_contract") || slices.Contains(codes(got[2]), "timesheet.unknown_contract") {
		t.Fatalf("runner: line 0 codes %v, line 2 codes %v", codes(got[0]), codes(got[2]))
	}
	if _, err := dataset.Read(dir); err != nil {
		t.Fatal(err)
	}
	m := score.Score(lines, got, score.Options{DatasetDir: dir})
	if m.Lines != 3 || m.Rules.TruePositives != 1 || m.Rules.FalseNegatives != 0 || m.Rules.FalsePositives != 0 || len(m.Unused) != 0 {
		t.Errorf("runner results were right, yet scored fn=%d, mistakes %+v, unused %v", m.Rules.FalseNegatives, m.Rules.Mistakes, m.Unused)
	}
}
