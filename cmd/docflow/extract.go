package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"sync"
	"time"

	"github.com/docflow/docflow/config"
	"github.com/docflow/docflow/derrors"
	"github.com/docflow/docflow/pipeline"
)

// result is one line of `docflow extract --json`, the shape that
// shared/tools/score-extract and the evaluation harness read.
type result struct {
	File           string             `json:"file,omitempty"`
	Name           string             `json:"name,omitempty"`
	DocumentType   string             `json:"document_type,omitempty"`
	TypeScore      float64            `json:"type_score,omitempty"`
	Format         string             `json:"format,omitempty"`
	Fields         map[string]any     `json:"fields,omitempty"`
	Confidence     map[string]float64 `json:"confidence,omitempty"`
	Issues         *[]pipeline.Issue  `json:"issues,omitempty"` // set, maybe empty, for analysed documents
	Attachments    []result           `json:"attachments,omitempty"`
	Refusal        string             `json:"refusal,omitempty"`
	Error          string             `json:"error,omitempty"`
	ElapsedSeconds float64            `json:"elapsed_seconds"`
}

// extract runs read, classify, extract and single-document validation on
// files, in-process and without any database.
func extract(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("extract", flag.ContinueOnError)
	fs.SetOutput(stderr)
	asJSON := fs.Bool("json", false, "print one JSON object per file")
	jobs := fs.Int("j", runtime.GOMAXPROCS(0), "files read at once")
	if err := fs.Parse(reorder(args)); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return errors.New("usage: docflow extract [--json] FILE...")
	}
	cfg, err := config.Load()
	if err != nil {
		return err
	}
	an, err := newAnalyzer(cfg, nil, nil)
	if err != nil {
		return err
	}
	files := fs.Args()
	results := make([]chan result, len(files))
	sem := make(chan struct{}, max(1, *jobs))
	var wg sync.WaitGroup
	for i, f := range files {
		results[i] = make(chan result, 1)
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			results[i] <- extractFile(ctx, an, f)
		}()
	}
	failed := 0
	enc := json.NewEncoder(stdout)
	enc.SetEscapeHTML(false)
	for i := range files {
		r := <-results[i]
		if r.Error != "" && r.Refusal == "" {
			failed++
		}
		if *asJSON {
			if err := enc.Encode(r); err != nil {
				return err
			}
			continue
		}
		printResult(stdout, r, "")
	}
	wg.Wait()
	if failed > 0 {
		return fmt.Errorf("%d of %d files could not be read", failed, len(files))
	}
	return nil
}

func extractFile(ctx context.Context, an pipeline.Analyzer, path string) result {
	data, err := os.ReadFile(path)
	if err != nil {
		return result{File: path, Error: err.Error()}
	}
	r := analyze(ctx, an, path, data)
	r.File = path
	return r
}

// analyze runs the analyzer on one file or part; an email's parts are
// analysed in turn and listed as attachments.
//
// r is a named result so that the deferred clock reading lands in what is
// returned: the elapsed time covers the analysis (an email's attachments
// included) on every return path.
func analyze(ctx context.Context, an pipeline.Analyzer, name string, data []byte) (r result) {
	start := timeNow()
	defer func() { r.ElapsedSeconds = timeNow().Sub(start).Seconds() }()
	a, err := an.Analyze(ctx, name, data, nil, nil)
	r = result{DocumentType: string(a.Type), TypeScore: a.TypeScore, Format: a.Format}
	if err != nil {
		r.Error = err.Error()
		if ref, ok := derrors.AsRefusal(err); ok {
			r.Refusal, r.DocumentType, r.Error = ref.Code, "", ref.Message
		}
		return r
	}
	if a.Type == pipeline.TypeEmail {
		r.Attachments = []result{}
		for _, p := range a.Parts {
			pr := analyze(ctx, an, p.Name, p.Data)
			pr.Name = p.Name
			r.Attachments = append(r.Attachments, pr)
		}
		return r
	}
	issues := a.Issues
	if issues == nil {
		issues = []pipeline.Issue{}
	}
	r.Fields, r.Confidence, r.Issues = a.Fields.Map(), a.Fields.Confidence, &issues
	return r
}

func printResult(w io.Writer, r result, indent string) {
	name := r.File
	if name == "" {
		name = r.Name
	}
	switch {
	case r.Refusal != "":
		fmt.Fprintf(w, "%s%s: refused %s: %s\n", indent, name, r.Refusal, r.Error)
		return
	case r.Error != "":
		fmt.Fprintf(w, "%s%s: error: %s\n", indent, name, r.Error)
		return
	}
	fmt.Fprintf(w, "%s%s: %s (%.2f, %s)\n", indent, name, r.DocumentType, r.TypeScore, r.Format)
	b, _ := json.MarshalIndent(r.Fields, indent+"  ", "  ")
	if len(r.Fields) > 0 {
		fmt.Fprintf(w, "%s  fields: %s\n", indent, b)
	}
	if r.Issues != nil {
		for _, i := range *r.Issues {
			fmt.Fprintf(w, "%s  %s %s: %s\n", indent, i.Severity, i.Code, i.Message)
		}
	}
	for _, a := range r.Attachments {
		printResult(w, a, indent+"  ")
	}
}

var timeNow = time.Now
