package main

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/docflow/docflow/account"
	"github.com/docflow/docflow/config"
	"github.com/docflow/docflow/desk"
	"github.com/docflow/docflow/pipeline"
	"github.com/docflow/docflow/pipeline/stacktest"
)

// TestRiverUIIsForOperators mounts River UI as serve does and opens it
// as nobody, as the operators' reviewer, as another tenant's admin and as
// the operators' admin.
func TestRiverUIIsForOperators(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := stacktest.New(t, stacktest.Options{NoWorkers: true})
	session := func(tenantID string, role pipeline.Role) string {
		t.Helper()
		hash, err := account.HashPassword("un mot de passe de test")
		if err != nil {
			t.Fatal(err)
		}
		u, err := st.Store.CreateUser(ctx, account.User{TenantID: tenantID, Email: string(role) + "@ops.example", Name: "Op", Role: role, PasswordHash: hash})
		if err != nil {
			t.Fatal(err)
		}
		sess, token := account.NewSession(u, time.Now(), time.Hour)
		if err := st.Store.CreateSession(ctx, sess); err != nil {
			t.Fatal(err)
		}
		return token
	}
	ops, err := st.Store.CreateTenant(ctx, "Opérations")
	if err != nil {
		t.Fatal(err)
	}
	agency, err := st.Store.CreateTenant(ctx, "Agence")
	if err != nil {
		t.Fatal(err)
	}
	admin, reviewer, otherAdmin := session(ops.ID, pipeline.RoleAdmin), session(ops.ID, pipeline.RoleReviewer), session(agency.ID, pipeline.RoleAdmin)

	server := func(cfg config.Config) *httptest.Server {
		reviewDesk, err := desk.New(st.Service, st.Store, desk.Options{DataDir: st.DataDir})
		if err != nil {
			t.Fatal(err)
		}
		mux := http.NewServeMux()
		mux.Handle(desk.Prefix, reviewDesk)
		if err := mountRiverUI(t.Context(), mux, st.River, st.Store, cfg); err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewServer(mux)
		t.Cleanup(srv.Close)
		return srv
	}
	srv := server(config.Config{RiverUITenant: ops.ID})
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	do := func(method, path, token string, header map[string]string) (*http.Response, string) {
		t.Helper()
		req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader("{}"))
		if token != "" {
			req.AddCookie(&http.Cookie{Name: "docflow_session", Value: token})
		}
		for k, v := range header {
			req.Header.Set(k, v)
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp, string(body)
	}
	jsonAccept := map[string]string{"Accept": "application/json"}
	for _, c := range []struct {
		name, method, path, token string
		header                    map[string]string
		status                    int
		says                      string
	}{
		{"anonymous page", "GET", "/desk/riverui/", "", nil, http.StatusSeeOther, ""},
		{"anonymous API", "GET", "/desk/riverui/api/queues", "", jsonAccept, http.StatusUnauthorized, ""},
		{"anonymous action", "POST", "/desk/riverui/api/jobs/cancel", "", nil, http.StatusUnauthorized, ""},
		{"reviewer", "GET", "/desk/riverui/", reviewer, nil, http.StatusForbidden, ""},
		{"reviewer API", "GET", "/desk/riverui/api/jobs?state=available", reviewer, jsonAccept, http.StatusForbidden, ""},
		{"another tenant's admin", "GET", "/desk/riverui/api/queues", otherAdmin, jsonAccept, http.StatusForbidden, ""},
		{"admin page", "GET", "/desk/riverui/", admin, nil, http.StatusOK, "<title>River</title>"},
		{"admin asset", "GET", "/desk/riverui/favicon.ico", admin, nil, http.StatusOK, ""},
		{"admin API", "GET", "/desk/riverui/api/queues", admin, jsonAccept, http.StatusOK, `"data"`},
		{"admin jobs", "GET", "/desk/riverui/api/jobs?state=available", admin, jsonAccept, http.StatusOK, `"data"`},
		{"admin, cross-site action", "POST", "/desk/riverui/api/jobs/cancel", admin, map[string]string{"Sec-Fetch-Site": "cross-site"}, http.StatusForbidden, ""},
		{"short path", "GET", "/riverui/", "", nil, http.StatusSeeOther, ""},
	} {
		resp, body := do(c.method, c.path, c.token, c.header)
		if resp.StatusCode != c.status || !strings.Contains(body, c.says) {
			t.Errorf("%s: %s %s = %d %.200q; want %d with %q", c.name, c.method, c.path, resp.StatusCode, body, c.status, c.says)
		}
		if c.status == http.StatusSeeOther && c.token == "" {
			want := "/desk/signin?next="
			if c.path == "/riverui/" {
				want = "/desk/riverui/"
			}
			if loc := resp.Header.Get("Location"); !strings.HasPrefix(loc, want) {
				t.Errorf("%s: redirected to %q, want %s…", c.name, loc, want)
			}
		}
	}

	// Without an operators' tenant, River UI is not served at all.
	srv = server(config.Config{})
	if resp, _ := do("GET", "/desk/riverui/api/queues", admin, jsonAccept); resp.StatusCode != http.StatusNotFound {
		t.Errorf("River UI without DOCFLOW_RIVERUI_TENANT: %d, want 404", resp.StatusCode)
	}
}
