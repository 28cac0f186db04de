package dataset

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzRead checks the reading of a dataset's manifest: every line read
// names a file and a document type, no more lines come out than went in,
// and lines written again by Writer read back the same.
func FuzzRead(f *testing.F) {
	if b, err := os.ReadFile(filepath.Join("..", "testdata", "dataset", "manifest.jsonl")); err == nil {
		f.Add(b)
	}
	f.Add([]byte(`{"file":"inbox/e-01.eml","document_type":"email","attachments":[{"file":"inbox/e-01.eml","name":"c.pdf","document_type":"contract","fields":{"hourly_rate":13.45}}],"tags":["eml","alt_refusal:too_large"]}` + "\n\n" +
		`{"file":"bad/empty.pdf","document_type":"other","refusal":"empty_document"}`))
	f.Add([]byte(`{"file":"","document_type":"contract"}`))
	f.Add([]byte(`{"file":"../../etc/passwd","document_type":"contract"}` + "\n" + `{"file":"a.txt","document_type":"timesheet","fields":{"entries":[{"date":"2026-03-02","hours":7.5}]},"expected_issues":["timesheet.total_mismatch"]}`))
	f.Add([]byte("{\"file\":\"a\",\"document_type\":\"x\"}\r\n   \n{"))
	f.Fuzz(func(t *testing.T, manifest []byte) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "manifest.jsonl"), manifest, 0o644); err != nil {
			t.Fatal(err)
		}
		lines, err := Read(dir)
		if err != nil {
			return
		}
		if len(lines) > strings.Count(string(manifest), "\n")+1 {
			t.Fatalf("%d lines from %d", len(lines), strings.Count(string(manifest), "\n")+1)
		}
		for _, l := range lines {
			if l.File == "" || l.DocumentType == "" {
				t.Fatalf("line %+v", l)
			}
		}
		if len(lines) > 20 {
			return
		}
		out := filepath.Join(dir, "copy")
		w, err := Create(out)
		if err != nil {
			t.Fatal(err)
		}
		var kept []Line
		for _, l := range lines {
			if w.Add(l, nil) == nil { // Add refuses paths outside the dataset
				kept = append(kept, l)
			}
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		again, err := Read(out)
		if err != nil {
			t.Fatalf("reading the lines written again: %v", err)
		}
		// Compared as JSON: an empty list or map is written as none.
		want, _ := json.Marshal(kept)
		got, _ := json.Marshal(again)
		if len(kept) > 0 && !bytes.Equal(got, want) {
			t.Fatalf("lines change when written again:\n%s\n%s", want, got)
		}
	})
}
