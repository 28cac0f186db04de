package run_test

import (
	"context"
	"os"
	"os/exec"
	"slices"
	"testing"

	"github.com/docflow/docflow/evals/dataset"
	"github.com/docflow/docflow/evals/run"
	"github.com/docflow/docflow/evals/score"
	"github.com/docflow/docflow/extractors/classify"
	"github.com/docflow/docflow/extractors/reader"
	"github.com/docflow/docflow/extractors/rules"
	"github.com/docflow/docflow/pipeline"
	"github.com/docflow/docflow/pipeline/validate"
)

// TestOwnDataset runs the project's dataset with the offline rules
// extractor: every line gets a result of its kind, every refusal is the
// expected one, and the cross-document rules fire where the ground truth
// says (they depend on the runner's ordering, not on the extractor alone).
func TestOwnDataset(t *testing.T) {
	t.Parallel()
	for _, tool := range []string{"pdftotext", "pdftoppm", "tesseract"} {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("DOCFLOW_TEST_REQUIRE_TOOLS") != "" {
				t.Fatalf("%s is required", tool)
			}
			t.Skipf("%s is not installed", tool)
		}
	}
	const dir = "../testdata/dataset"
	lines, err := dataset.Read(dir)
	if err != nil {
		t.Fatal(err)
	}
	an := pipeline.Analyzer{Reader: reader.New(reader.Config{}), Classifier: classify.New(), Extractor: rules.New(),
		Validator: validate.New(validate.DefaultConfig())}
	got, err := (&run.Runner{Analyzer: an, Parallelism: 4}).RunLines(context.Background(), dir, lines)
	if err != nil {
		t.Fatal(err)
	}
	for i, l := range lines {
		check(t, l.File, l, got[i])
		if l.DocumentType != "email" {
			continue
		}
		for _, a := range l.Attachments {
			j := slices.IndexFunc(got[i].Attachments, func(r score.Result) bool { return r.Name == a.Name })
			if j < 0 {
				t.Errorf("%s: no result for attachment %s", l.File, a.Name)
				continue
			}
			check(t, l.File+"#"+a.Name, a, got[i].Attachments[j])
		}
	}
}

func check(t *testing.T, name string, want dataset.Line, got score.Result) {
	t.Helper()
	switch {
	case want.DocumentType == "refused":
		if !want.AcceptsRefusal(got.Refusal) {
			t.Errorf("%s: refusal %q (%s), want %s", name, got.Refusal, got.Error, want.Refusal)
		}
		return
	case got.Error != "":
		t.Errorf("%s: %s", name, got.Error)
		return
	case want.DocumentType == "email":
		if got.DocumentType != "email" || len(got.Attachments) != len(want.Attachments) {
			t.Errorf("%s: %s with %d attachments, want an email with %d", name, got.DocumentType, len(got.Attachments), len(want.Attachments))
		}
		return
	}
	codes := map[string]bool{}
	for _, i := range got.Issues {
		codes[i.Code] = true
	}
	for _, c := range want.ExpectedIssues {
		switch c {
		case validate.CodeTimesheetUnknownContract, validate.CodeTimesheetOutsideContractPeriod, validate.CodeTimesheetWorkerMismatch:
			if !codes[c] {
				t.Errorf("%s: %s does not fire", name, c)
			}
		}
	}
	if want.DocumentType == "timesheet" && len(want.ExpectedIssues) == 0 && codes[validate.CodeTimesheetUnknownContract] {
		t.Errorf("%s: timesheet.unknown_contract fires, but its contract comes before it", name)
	}
}
