package dataset

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

func TestWriteRead(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	w, err := Create(dir)
	if err != nil {
		t.Fatal(err)
	}
	lines := []Line{
		{File: "contracts/a.pdf", DocumentType: "contract", Fields: map[string]any{"hourly_rate": 13.45}, ExpectedIssues: []string{"contract.invalid_siret"}, Tags: []string{"pdf"}},
		{File: "bad/x.pdf", DocumentType: "refused", Refusal: "corrupt_document", Tags: []string{"alt_refusal:unsupported_media_type"}},
	}
	for _, l := range lines {
		if err := w.Add(l, []byte("bytes of "+l.File)); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	got, err := Read(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, lines) {
		t.Errorf("read back %+v, want %+v", got, lines)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "contracts/a.pdf")); string(b) != "bytes of contracts/a.pdf" {
		t.Errorf("file content %q", b)
	}
	if !got[1].AcceptsRefusal("unsupported_media_type") || !got[1].AcceptsRefusal("corrupt_document") || got[1].AcceptsRefusal("too_large") {
		t.Error("AcceptsRefusal ignores the alt_refusal tag")
	}
	if _, err := Create(dir); err == nil {
		t.Error("Create overwrote a manifest")
	}
	w2, _ := Create(t.TempDir())
	if err := w2.Add(Line{File: "../escape.pdf", DocumentType: "contract"}, nil); err == nil {
		t.Error("Add wrote outside the dataset")
	}
}
