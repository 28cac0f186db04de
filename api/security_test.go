package api_test

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/docflow/docflow/api"
	"github.com/docflow/docflow/ratelimit"
)

func TestAPIKeysAPI(t *testing.T) {
	t.Parallel()
	e := setup(t, envOptions{})
	tn := e.tenant("Agence Clés")
	var k struct {
		ID, Key, Role string
		Scopes        []string
		ExpiresAt     *time.Time `json:"expires_at"`
	}
	body := map[string]any{"role": "uploader", "name": "scanner du 2e", "scopes": []string{"document.upload"}, "expires_in_days": 30}
	if code := e.postJSON("/v1/api-keys", tn.admin, body, &k); code != http.StatusCreated || k.Key == "" || k.ExpiresAt == nil {
		t.Fatalf("create: %d %+v", code, k)
	}
	var p problem
	for _, bad := range []map[string]any{
		{"role": "owner"},
		{"role": "uploader", "scopes": []string{"review.decide"}}, // not the role's to give
		{"role": "uploader", "scopes": []string{"everything"}},
		{"role": "uploader", "expires_in_days": -1},
	} {
		if code := e.postJSON("/v1/api-keys", tn.admin, bad, &p); code != http.StatusBadRequest {
			t.Errorf("create %v: %d, want 400", bad, code)
		}
	}
	// The scoped key uploads, and may do nothing else its role could.
	if code := e.upload(k.Key, "contrat.txt", []byte("CONTRAT DE MISSION n° CM-1"), nil); code != http.StatusAccepted {
		t.Errorf("upload with the scoped key: %d", code)
	}
	if code := e.getJSON("/v1/documents", k.Key, &p); code != http.StatusForbidden || !strings.Contains(p.Detail, "scopes") {
		t.Errorf("list with a key scoped to uploads: %d %q", code, p.Detail)
	}
	var list struct {
		Items []struct {
			ID         string     `json:"id"`
			Key        string     `json:"key"`
			LastUsedAt *time.Time `json:"last_used_at"`
		}
	}
	e.getJSON("/v1/api-keys", tn.admin, &list)
	found := false
	for _, it := range list.Items {
		if it.Key != "" {
			t.Errorf("a listed key shows its secret")
		}
		if it.ID == k.ID {
			found = it.LastUsedAt != nil
		}
	}
	if !found {
		t.Errorf("the key is not listed with its last use: %+v", list.Items)
	}
	// Rotation without grace, then revocation.
	var nk struct{ ID, Key string }
	if code := e.postJSON("/v1/api-keys/"+k.ID+"/rotate", tn.admin, map[string]any{"grace_seconds": 0}, &nk); code != http.StatusCreated || nk.Key == "" {
		t.Fatalf("rotate: %d %+v", code, nk)
	}
	if code := e.upload(k.Key, "b.txt", []byte("autre"), &p); code != http.StatusUnauthorized {
		t.Errorf("the rotated-out key: %d, want 401", code)
	}
	if code := e.upload(nk.Key, "b.txt", []byte("CONTRAT DE MISSION n° CM-2"), nil); code != http.StatusAccepted {
		t.Errorf("the new key: %d", code)
	}
	if code := e.postJSON("/v1/api-keys/"+k.ID+"/rotate", tn.admin, map[string]any{}, &p); code != http.StatusConflict {
		t.Errorf("rotating twice: %d, want 409", code)
	}
	if code := e.do(http.MethodDelete, "/v1/api-keys/"+nk.ID, tn.admin, nil, "", nil); code != http.StatusOK {
		t.Errorf("revoke: %d", code)
	}
	if code := e.upload(nk.Key, "c.txt", []byte("CONTRAT DE MISSION n° CM-3"), &p); code != http.StatusUnauthorized {
		t.Errorf("the revoked key: %d, want 401", code)
	}
}

func TestSecurityHeadersAndContentTypes(t *testing.T) {
	t.Parallel()
	e := setup(t, envOptions{})
	tn := e.tenant("Agence Entêtes")
	req, _ := http.NewRequest(http.MethodGet, e.server.URL+"/v1/documents", nil)
	req.Header.Set("Authorization", "Bearer "+tn.admin)
	resp, err := e.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	for h, want := range map[string]string{"X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY",
		"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"} {
		if got := resp.Header.Get(h); got != want {
			t.Errorf("%s = %q, want %q", h, got, want)
		}
	}
	var p problem
	if code := e.do(http.MethodPut, "/v1/settings", tn.admin, strings.NewReader(`{"llm_mode":"rules"}`), "text/plain", &p); code != http.StatusUnsupportedMediaType || p.Code != "unsupported_content_type" {
		t.Errorf("settings as text/plain: %d %+v", code, p)
	}
	if code := e.do(http.MethodPost, "/v1/documents", tn.admin, bytes.NewReader([]byte("%PDF-1.4")), "application/pdf", &p); code != http.StatusUnsupportedMediaType {
		t.Errorf("a raw PDF body: %d, want 415", code)
	}
}

func TestRateLimit(t *testing.T) {
	t.Parallel()
	e := setup(t, envOptions{noWorkers: true})
	tn := e.tenant("Agence Pressée")
	other := e.tenant("Agence Calme")
	now := time.Unix(1_800_000_000, 0)
	lim := &ratelimit.Limiter{PerKey: ratelimit.Limit{Rate: 1, Burst: 3}, PerTenant: ratelimit.Limit{Rate: 10, Burst: 10},
		Now: func() time.Time { return now }}
	srv := httptest.NewServer(api.New(e.svc, e.store, api.WithRateLimit(lim)))
	defer srv.Close()
	client := &http.Client{Transport: contractChecker(t, http.DefaultTransport)}
	get := func(key string) *http.Response {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+"/v1/documents", nil)
		req.Header.Set("Authorization", "Bearer "+key)
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	for i := range 3 {
		if r := get(tn.uploader); r.StatusCode != http.StatusOK {
			t.Fatalf("request %d: %d", i+1, r.StatusCode)
		}
	}
	r := get(tn.uploader)
	if r.StatusCode != http.StatusTooManyRequests || r.Header.Get("Retry-After") == "" {
		t.Errorf("4th request: %d, Retry-After %q; want 429 with Retry-After", r.StatusCode, r.Header.Get("Retry-After"))
	}
	if r := get(other.uploader); r.StatusCode != http.StatusOK {
		t.Errorf("another tenant's key: %d", r.StatusCode)
	}
	now = now.Add(2 * time.Second)
	if r := get(tn.uploader); r.StatusCode != http.StatusOK {
		t.Errorf("after waiting: %d", r.StatusCode)
	}
}
