// Package dataset reads and writes evaluation datasets in the spec's
// layout: a folder with manifest.jsonl at its root, one document a line in
// ingestion order, beside the documents themselves.
package dataset

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Line is one manifest line: a document with its ground truth, an email
// with its attachments, or a refused input.
type Line struct {
	File string `json:"file,omitempty"`
	// Name names an email's attachment, or "(body)".
	Name           string         `json:"name,omitempty"`
	DocumentType   string         `json:"document_type"`
	Fields         map[string]any `json:"fields,omitempty"`
	ExpectedIssues []string       `json:"expected_issues,omitempty"`
	Refusal        string         `json:"refusal,omitempty"`
	Attachments    []Line         `json:"attachments,omitempty"`
	Tags           []string       `json:"tags,omitempty"`
}

// HasTag reports whether the line carries tag.
func (l Line) HasTag(tag string) bool {
	for _, t := range l.Tags {
		if t == tag {
			return true
		}
	}
	return false
}

// AcceptsRefusal reports whether code is a right refusal for the line: its
// refusal, or one named by an alt_refusal:CODE tag.
func (l Line) AcceptsRefusal(code string) bool {
	return code != "" && (code == l.Refusal || l.HasTag("alt_refusal:"+code))
}

// Read returns the lines of dir's manifest.jsonl, in order.
func Read(dir string) ([]Line, error) {
	path := filepath.Join(dir, "manifest.jsonl")
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []Line
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for n := 1; sc.Scan(); n++ {
		if strings.TrimSpace(sc.Text()) == "" {
			continue
		}
		var l Line
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			return nil, fmt.Errorf("%s:%d: %w", path, n, err)
		}
		if l.File == "" || l.DocumentType == "" {
			return nil, fmt.Errorf("%s:%d: a line needs file and document_type", path, n)
		}
		out = append(out, l)
	}
	return out, sc.Err()
}

// Writer writes a dataset folder.
type Writer struct {
	dir      string
	manifest *os.File
	enc      *json.Encoder
}

// Create starts a dataset in dir, which must not hold a manifest yet.
func Create(dir string) (*Writer, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(filepath.Join(dir, "manifest.jsonl"), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return nil, fmt.Errorf("dataset: %w", err)
	}
	enc := json.NewEncoder(f)
	enc.SetEscapeHTML(false)
	return &Writer{dir: dir, manifest: f, enc: enc}, nil
}

// Add writes a document's bytes under the dataset at l.File (a relative
// path) and appends its line to the manifest.
func (w *Writer) Add(l Line, data []byte) error {
	rel := filepath.Clean(l.File)
	if filepath.IsAbs(rel) || strings.HasPrefix(rel, "..") {
		return fmt.Errorf("dataset: file %q must be a relative path inside the dataset", l.File)
	}
	path := filepath.Join(w.dir, rel)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		return err
	}
	return w.enc.Encode(l)
}

// Close finishes the manifest.
func (w *Writer) Close() error { return w.manifest.Close() }
