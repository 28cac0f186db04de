// Command gendata writes the project's own evaluation dataset
// (evals/testdata/dataset): contracts, timesheets, e-mails and inputs to
// refuse, in every format the reader takes (text and scanned PDF, DOCX,
// XLSX, CSV, TXT, EML), in French and English, breaking every rule of the
// spec at least once, with their ground truth. The output is the same at
// every run, except that scans depend on poppler's pdftoppm, which must be
// installed (make setup).
//
//	go generate ./evals   # or: go run ./evals/cmd/gendata -out evals/testdata/dataset
package main

import (
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/docflow/docflow/evals/dataset"
)

func main() {
	out := flag.String("out", "testdata/dataset", "folder to write the dataset to (replaced)")
	flag.Parse()
	if err := generate(*out); err != nil {
		log.Fatal(err)
	}
}

// generate writes the dataset into dir, replacing what is there.
func generate(dir string) error {
	items, err := documents()
	if err != nil {
		return err
	}
	tmp := filepath.Clean(dir) + ".new"
	if err := os.RemoveAll(tmp); err != nil {
		return err
	}
	w, err := dataset.Create(tmp)
	if err != nil {
		return err
	}
	for _, it := range items {
		if err := w.Add(it.line, it.data); err != nil {
			w.Close()
			return fmt.Errorf("%s: %w", it.line.File, err)
		}
	}
	if err := w.Close(); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(tmp, "README.md"), readme(items), 0o644); err != nil {
		return err
	}
	if err := os.RemoveAll(dir); err != nil {
		return err
	}
	return os.Rename(tmp, dir)
}
