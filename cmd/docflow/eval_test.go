package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/docflow/docflow/evals/dataset"
	"github.com/docflow/docflow/pipeline/testdocs"
)

// writeDataset makes a two-contract dataset; with broken, the second
// contract's rate is printed wrong, so that its extraction regresses.
func writeDataset(t *testing.T, dir string, broken bool) {
	t.Helper()
	os.RemoveAll(dir)
	w, err := dataset.Create(dir)
	if err != nil {
		t.Fatal(err)
	}
	for i, n := range []string{"CM-2026-010001", "CM-2026-010002"} {
		c := testdocs.ValidContract(n)
		text := testdocs.Contract(c)
		if broken && i == 1 {
			text = strings.ReplaceAll(text, "13,45", "31,45")
		}
		fields := map[string]any{"contract_number": n, "hourly_rate": 13.45, "worker_name": c.WorkerName}
		l := dataset.Line{File: "contracts/" + n + ".txt", DocumentType: "contract", Fields: fields, Tags: []string{"txt", "fr"}}
		if err := w.Add(l, []byte(text)); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestEvalGate(t *testing.T) {
	dir := t.TempDir()
	ds := filepath.Join(dir, "ds")
	good, bad := filepath.Join(dir, "good.json"), filepath.Join(dir, "bad.json")
	eval := func(args ...string) (string, error) {
		var out, errb bytes.Buffer
		err := run(context.Background(), append([]string{"eval", "--dataset", ds, "--config", "rules", "-q"}, args...), &out, &errb)
		return out.String() + errb.String(), err
	}
	writeDataset(t, ds, false)
	out, err := eval("--json", good, "--html", filepath.Join(dir, "r.html"))
	if err != nil {
		t.Fatalf("eval: %v\n%s", err, out)
	}
	if !strings.Contains(out, "field accuracy | 100.00% (6/6)") {
		t.Errorf("markdown report:\n%s", out)
	}
	var rep struct {
		Schema string                  `json:"schema"`
		Run    struct{ Config string } `json:"run"`
	}
	b, _ := os.ReadFile(good)
	if err := json.Unmarshal(b, &rep); err != nil || rep.Schema != "docflow.eval.report/v1" || rep.Run.Config != "rules" {
		t.Errorf("JSON report %s: %v", b, err)
	}
	if h, err := os.ReadFile(filepath.Join(dir, "r.html")); err != nil || !bytes.Contains(h, []byte("<svg")) {
		t.Errorf("HTML report: %v", err)
	}

	// A planted regression fails the gate; the same run passes against itself.
	if out, err := eval("--baseline", good); err != nil {
		t.Errorf("the gate failed against the same results: %v\n%s", err, out)
	}
	writeDataset(t, ds, true)
	out, err = eval("--baseline", good, "--json", bad)
	if err == nil || !strings.Contains(out, "hourly_rate") {
		t.Errorf("the gate passed a regression: %v\n%s", err, out)
	}
	// An improvement passes.
	writeDataset(t, ds, false)
	if out, err := eval("--baseline", bad); err != nil {
		t.Errorf("the gate failed an improvement: %v\n%s", err, out)
	}
	// A model configuration without recorded answers says so.
	t.Setenv("DOCFLOW_LLM_MODEL", "gpt-test")
	out, err = eval("--config", "llm", "--cassettes", filepath.Join(dir, "none"))
	if err == nil || !strings.Contains(err.Error()+out, "cassette") {
		t.Errorf("a replay without cassettes: %v\n%s", err, out)
	}
}
