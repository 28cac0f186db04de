package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// replayDataset writes a dataset of a contract and a file the manifest
// expects refused as unsupported_media_type.
func replayDataset(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "c.txt"), []byte("Contrat"), 0o600); err != nil {
		t.Fatal(err)
	}
	manifest := `{"file":"c.txt","document_type":"contract"}` + "\n" + `{"file":"c.txt","document_type":"refused","refusal":"unsupported_media_type"}` + "\n"
	if err := os.WriteFile(filepath.Join(dir, "manifest.jsonl"), []byte(manifest), 0o600); err != nil {
		t.Fatal(err)
	}
	return dir
}

// problemServer answers every request with status and a problem+json of code.
func problemServer(t *testing.T, status int, code string) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/problem+json")
		w.WriteHeader(status)
		_, _ = fmt.Fprintf(w, `{"type":"about:blank","title":%q,"status":%d,"code":%q,"detail":"replay test"}`, http.StatusText(status), status, code)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// TestReplayFailsOnAPIErrorsThatAreNotRefusals: an upload answered with a
// problem that is no intake refusal (a wrong or revoked key's 401, a 403,
// a server's 500 or 503, a 422 "failed") makes replay fail naming the
// status and code, without printing a score; it is never counted as a
// refusal.
func TestReplayFailsOnAPIErrorsThatAreNotRefusals(t *testing.T) {
	for _, tc := range []struct {
		status int
		code   string
	}{
		{http.StatusUnauthorized, "unauthenticated"},
		{http.StatusForbidden, "forbidden"},
		{http.StatusInternalServerError, "internal"},
		{http.StatusServiceUnavailable, "unavailable"},
		{http.StatusUnprocessableEntity, "failed"},
		{http.StatusBadRequest, "invalid_argument"},
	} {
		srv := problemServer(t, tc.status, tc.code)
		var out, errb bytes.Buffer
		err := replay(context.Background(), []string{"--dataset", replayDataset(t), "--url", srv.URL, "--uploader-key", "k", "--reviewer-key", "k"}, &out, &errb)
		if err == nil {
			t.Errorf("%d %s: replay succeeded and printed a score:\n%s", tc.status, tc.code, out.String())
			continue
		}
		if msg := err.Error(); !strings.Contains(msg, strconv.Itoa(tc.status)) || !strings.Contains(msg, tc.code) {
			t.Errorf("%d %s: replay error %q, want it to name the status and code", tc.status, tc.code, msg)
		}
		if out.Len() > 0 {
			t.Errorf("%d %s: replay failed but printed a score:\n%s", tc.status, tc.code, out.String())
		}
	}
}

// TestReplayCountsIntakeRefusals: an upload refused at intake (415
// unsupported_media_type) is scored as a refusal, right where the manifest
// expects that refusal.
func TestReplayCountsIntakeRefusals(t *testing.T) {
	srv := problemServer(t, http.StatusUnsupportedMediaType, "unsupported_media_type")
	var out, errb bytes.Buffer
	err := replay(context.Background(), []string{"--dataset", replayDataset(t), "--url", srv.URL, "--uploader-key", "k", "--reviewer-key", "k"}, &out, &errb)
	if err != nil {
		t.Fatalf("replay: %v", err)
	}
	if !strings.Contains(out.String(), "refusals") || !strings.Contains(out.String(), " 50.00%  of 2") {
		t.Errorf("replay report:\n%s\nwant 2 refusals, 1 of them right (50.00%%)", out.String())
	}
}
