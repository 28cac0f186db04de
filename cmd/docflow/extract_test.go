package main

import (
	"context"
	"testing"
	"time"

	"github.com/docflow/docflow/config"
)

// TestExtractReportsElapsedSeconds: `docflow extract --json` reports for
// each file the time its analysis took, on every outcome (a read document
// and a refused one): the clock, moved 1.5 s during the analysis, shows as
// elapsed_seconds 1.5.
func TestExtractReportsElapsedSeconds(t *testing.T) {
	cfg, err := config.FromLookup(func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	an, err := newAnalyzer(cfg, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	old := timeNow
	defer func() { timeNow = old }()
	for _, tc := range []struct {
		name    string
		data    []byte
		refusal bool
	}{
		{"read", []byte("Contrat de mission\nNuméro CM-2026-000001\n"), false},
		{"refused", nil, true},
	} {
		base := time.Now()
		calls := 0
		timeNow = func() time.Time { calls++; return base.Add(time.Duration(calls-1) * 1500 * time.Millisecond) }
		r := analyze(context.Background(), an, "c.txt", tc.data)
		if (r.Refusal != "") != tc.refusal {
			t.Fatalf("%s: refusal %q, error %q; want refused %v", tc.name, r.Refusal, r.Error, tc.refusal)
		}
		if r.ElapsedSeconds != 1.5 {
			t.Errorf("%s: elapsed_seconds = %v, want 1.5 (the clock moved 1.5 s during the analysis; timeNow called %d times)", tc.name, r.ElapsedSeconds, calls)
		}
	}
}
