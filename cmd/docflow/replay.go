package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/docflow/docflow/derrors"
	"github.com/docflow/docflow/evals/dataset"
)

// replay ingests a dataset (the spec's layout) through a running docflow's
// API in manifest order, as HR staff and reviewers would: it uploads each
// file, waits for it to settle, approves what the ground truth says is a
// clean document (with the true fields as corrections, by a reviewer who
// is not the uploader) and rejects the rest, then compares the rule codes
// that fired with the expected ones, cross-document rules included.
func replay(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("replay", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dir := fs.String("dataset", "", "the dataset folder (manifest.jsonl at its root)")
	base := fs.String("url", "http://localhost:8080", "docflow's base URL")
	uploader := fs.String("uploader-key", os.Getenv("DOCFLOW_UPLOADER_KEY"), "an uploader's API key")
	reviewer := fs.String("reviewer-key", os.Getenv("DOCFLOW_REVIEWER_KEY"), "a reviewer's API key")
	wait := fs.Duration("wait", 5*time.Minute, "how long to wait for one document")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *dir == "" || *uploader == "" || *reviewer == "" {
		return errors.New("usage: docflow replay --dataset DIR --uploader-key K --reviewer-key K [--url URL]")
	}
	lines, err := dataset.Read(*dir)
	if err != nil {
		return err
	}
	c := &apiClient{base: strings.TrimRight(*base, "/"), http: &http.Client{Timeout: time.Minute}, wait: *wait}
	var score ruleScore
	for i, l := range lines {
		if err := c.replayLine(ctx, *dir, l, *uploader, *reviewer, &score); err != nil {
			return fmt.Errorf("%s: %w", l.File, err)
		}
		fmt.Fprintf(stderr, "\r%d/%d", i+1, len(lines))
	}
	fmt.Fprintln(stderr)
	score.print(stdout)
	return nil
}

type apiClient struct {
	base string
	http *http.Client
	wait time.Duration
}

type apiDocument struct {
	ID       string `json:"id"`
	Status   string `json:"status"`
	FileName string `json:"file_name"`
	Refusal  string `json:"refusal"`
	Issues   []struct {
		Code     string `json:"code"`
		Severity string `json:"severity"`
	} `json:"issues"`
	Children []string `json:"children"`
	Review   *struct {
		ID     string `json:"id"`
		Status string `json:"status"`
	} `json:"review"`
	// Code is set by upload on an intake refusal.
	Code string `json:"-"`
}

// apiError is an answer of the API with a status of 400 or more: its
// problem+json (code, title, detail) when it sent one.
type apiError struct {
	Method, Path string
	Status       int
	Code         string `json:"code"`
	Title        string `json:"title"`
	Detail       string `json:"detail"`
}

func (e *apiError) Error() string {
	msg := fmt.Sprintf("%s %s answered %d", e.Method, e.Path, e.Status)
	if e.Code != "" {
		msg += " " + e.Code
	}
	if e.Detail != "" {
		msg += ": " + e.Detail
	} else if e.Title != "" {
		msg += ": " + e.Title
	}
	return msg
}

// refusalStatuses are the statuses of an intake refusal (derrors.ToStatus):
// with one of refusalCodes, and only then, an upload's problem is the
// refusal the dataset may expect rather than a failure of the replay.
var (
	refusalStatuses = map[int]bool{
		http.StatusRequestEntityTooLarge: true,
		http.StatusUnsupportedMediaType:  true,
		http.StatusUnprocessableEntity:   true,
	}
	refusalCodes = map[string]bool{
		derrors.UnsupportedMediaType: true,
		derrors.CorruptDocument:      true,
		derrors.EncryptedDocument:    true,
		derrors.EmptyDocument:        true,
		derrors.TooLarge:             true,
	}
)

// refusal reports whether err is an intake refusal.
func (e *apiError) refusal() bool { return refusalStatuses[e.Status] && refusalCodes[e.Code] }

// call sends the request and decodes the answer into out; an answer with a
// status of 400 or more is an *apiError (out is then left alone).
func (c *apiClient) call(ctx context.Context, method, path, key, contentType string, body io.Reader, out any) (int, error) {
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, body)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+key)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return resp.StatusCode, fmt.Errorf("%s %s: reading the answer: %w", method, path, err)
	}
	if resp.StatusCode >= 400 {
		e := &apiError{Method: method, Path: path, Status: resp.StatusCode}
		_ = json.Unmarshal(b, e)
		e.Method, e.Path, e.Status = method, path, resp.StatusCode
		return resp.StatusCode, e
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			return resp.StatusCode, fmt.Errorf("%s %s answered %d with no JSON: %w", method, path, resp.StatusCode, err)
		}
	}
	return resp.StatusCode, nil
}

// upload posts the file. An intake refusal (refusal statuses with a
// refusal code) comes back as a document with its Code set; any other
// answer of 400 or more (a wrong key, a server failure) is an error.
func (c *apiClient) upload(ctx context.Context, key, path string) (apiDocument, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return apiDocument{}, err
	}
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, err := mw.CreateFormFile("file", filepath.Base(path))
	if err != nil {
		return apiDocument{}, err
	}
	if _, err := fw.Write(data); err != nil {
		return apiDocument{}, err
	}
	if err := mw.Close(); err != nil {
		return apiDocument{}, err
	}
	var d apiDocument
	_, err = c.call(ctx, http.MethodPost, "/v1/documents", key, mw.FormDataContentType(), &body, &d)
	var ae *apiError
	if errors.As(err, &ae) && ae.refusal() {
		return apiDocument{Code: ae.Code}, nil
	}
	if err != nil {
		return apiDocument{}, fmt.Errorf("upload: %w", err)
	}
	if d.ID == "" {
		return apiDocument{}, errors.New("upload answered no document id")
	}
	return d, nil
}

// settle waits until the document is past processing.
func (c *apiClient) settle(ctx context.Context, key, id string) (apiDocument, error) {
	deadline := time.Now().Add(c.wait)
	for {
		var d apiDocument
		if _, err := c.call(ctx, http.MethodGet, "/v1/documents/"+id, key, "", nil, &d); err != nil {
			return d, err
		}
		if d.Status != "received" && d.Status != "processing" {
			return d, nil
		}
		if time.Now().After(deadline) {
			return d, fmt.Errorf("document %s still %s after %s", id, d.Status, c.wait)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (c *apiClient) replayLine(ctx context.Context, dir string, l dataset.Line, uploader, reviewer string, score *ruleScore) error {
	d, err := c.upload(ctx, uploader, filepath.Join(dir, l.File))
	if err != nil {
		return err
	}
	if d.Code != "" { // refused at intake
		score.refusal(l, d.Code)
		return nil
	}
	if d, err = c.settle(ctx, uploader, d.ID); err != nil {
		return err
	}
	if l.DocumentType == "refused" {
		score.refusal(l, d.Refusal)
		return nil
	}
	if l.DocumentType != "email" {
		return c.decide(ctx, d, l, uploader, reviewer, score)
	}
	byName := map[string]apiDocument{}
	for _, id := range d.Children {
		child, err := c.settle(ctx, uploader, id)
		if err != nil {
			return err
		}
		byName[child.FileName] = child
	}
	for _, a := range l.Attachments {
		child, ok := byName[a.Name]
		if !ok {
			score.missing++
			continue
		}
		if a.DocumentType == "refused" {
			a.Tags = l.Tags
			score.refusal(a, child.Refusal)
			continue
		}
		if err := c.decide(ctx, child, a, uploader, reviewer, score); err != nil {
			return err
		}
	}
	return nil
}

// decide scores the fired codes, then approves a document that the ground
// truth says is clean (no error, no injected text) with the true fields,
// and rejects the others, as a reviewer following the dataset would.
func (c *apiClient) decide(ctx context.Context, d apiDocument, l dataset.Line, uploader, reviewer string, score *ruleScore) error {
	score.add(l, d)
	if d.Status != "in_review" || d.Review == nil {
		return nil
	}
	clean := !slices.ContainsFunc(l.ExpectedIssues, func(code string) bool {
		return code == "document.possible_prompt_injection" || !strings.HasPrefix(code, "document.")
	})
	if !clean || (l.DocumentType != "contract" && l.DocumentType != "timesheet") {
		body, _ := json.Marshal(map[string]string{"reason": "the ground truth has findings"})
		_, err := c.call(ctx, http.MethodPost, "/v1/reviews/"+d.Review.ID+"/reject", reviewer, "application/json", bytes.NewReader(body), nil)
		return err
	}
	body, _ := json.Marshal(map[string]any{"fields": l.Fields, "document_type": l.DocumentType, "comment": "replay: ground truth"})
	code, err := c.call(ctx, http.MethodPost, "/v1/reviews/"+d.Review.ID+"/approve", reviewer, "application/json", bytes.NewReader(body), nil)
	if err != nil {
		return err
	}
	if code != http.StatusOK {
		return fmt.Errorf("approve answered %d", code)
	}
	_, err = c.settle(ctx, uploader, d.ID)
	return err
}

// ruleScore counts rule codes and refusals as score-extract does.
type ruleScore struct {
	tp, fn, fp, refusals, refusalsOK, missing int
	missed, falseErrors                       map[string]int
}

func (s *ruleScore) add(l dataset.Line, d apiDocument) {
	if s.missed == nil {
		s.missed, s.falseErrors = map[string]int{}, map[string]int{}
	}
	got, gotErrors := map[string]bool{}, map[string]bool{}
	for _, i := range d.Issues {
		got[i.Code] = true
		if i.Severity == "error" {
			gotErrors[i.Code] = true
		}
	}
	for _, code := range l.ExpectedIssues {
		if got[code] {
			s.tp++
		} else {
			s.fn++
			s.missed[code]++
		}
	}
	for code := range gotErrors {
		if !slices.Contains(l.ExpectedIssues, code) {
			s.fp++
			s.falseErrors[code]++
		}
	}
}

func (s *ruleScore) refusal(l dataset.Line, got string) {
	s.refusals++
	if l.AcceptsRefusal(got) {
		s.refusalsOK++
	}
}

func (s *ruleScore) print(w io.Writer) {
	pct := func(a, b int) float64 {
		if b == 0 {
			return 100
		}
		return 100 * float64(a) / float64(b)
	}
	fmt.Fprintf(w, "rule recall    %6.2f%%  (%d of %d expected codes fired)\n", pct(s.tp, s.tp+s.fn), s.tp, s.tp+s.fn)
	fmt.Fprintf(w, "rule precision %6.2f%%  (%d unexpected errors)\n", pct(s.tp, s.tp+s.fp), s.fp)
	fmt.Fprintf(w, "refusals       %6.2f%%  of %d\n", pct(s.refusalsOK, s.refusals), s.refusals)
	if s.missing > 0 {
		fmt.Fprintf(w, "attachments not found: %d\n", s.missing)
	}
	for _, m := range []struct {
		name string
		m    map[string]int
	}{{"missed", s.missed}, {"false errors", s.falseErrors}} {
		if len(m.m) == 0 {
			continue
		}
		keys := make([]string, 0, len(m.m))
		for k := range m.m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		fmt.Fprintf(w, "%s:", m.name)
		for _, k := range keys {
			fmt.Fprintf(w, " %s=%d", k, m.m[k])
		}
		fmt.Fprintln(w)
	}
}
