package config

import (
	"maps"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestFromLookup(t *testing.T) {
	t.Parallel()
	env := func(m map[string]string) func(string) (string, bool) {
		return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
	}
	c, err := FromLookup(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != DefaultAddr || c.PostgresURL != DefaultPostgresURL || c.Workers != DefaultWorkers || c.RescueAfter != DefaultRescueAfter {
		t.Errorf("defaults = %+v", c)
	}
	c, err = FromLookup(env(map[string]string{"DOCFLOW_WORKERS": "8", "DOCFLOW_RESCUE_AFTER": "90s", "DOCFLOW_AUTO_COMMIT_WARNINGS": "true"}))
	if err != nil || c.Workers != 8 || c.RescueAfter != 90*time.Second || !c.AutoCommitWarnings {
		t.Errorf("overrides = %+v, %v", c, err)
	}
	for _, bad := range []map[string]string{
		{"DOCFLOW_WORKERS": "many"},
		{"DOCFLOW_MAX_UPLOAD_BYTES": "0"},
		{"DOCFLOW_RESCUE_AFTER": "soon"},
		{"DOCFLOW_AUTO_COMMIT_WARNINGS": "perhaps"},
		{"DOCFLOW_LLM_MODE": "sometimes"},
		{"DOCFLOW_LLM_BASE_URL": "http://localhost:11434/v1"},
		{"DOCFLOW_LLM_TIMEOUT": "long"},
		{"DOCFLOW_LLM_VISION": "glasses"},
		{"DOCFLOW_LLM_PROVIDER": "oracle"},
	} {
		if _, err := FromLookup(env(bad)); err == nil {
			t.Errorf("FromLookup(%v) succeeded, want an error", bad)
		}
	}
}

func TestDumpHidesPasswords(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	Config{PostgresURL: "postgres://app:s3cret@db:5432/docflow", MariaDBDSN: "root:hunter2@tcp(db:3306)/docflow",
		LLM: LLM{BaseURL: "https://llm.example/v1", APIKey: "sk-very-secret", Model: "m", Mode: "always"}}.Dump(&b)
	if strings.Contains(b.String(), "s3cret") || strings.Contains(b.String(), "hunter2") || strings.Contains(b.String(), "sk-very-secret") {
		t.Errorf("Dump leaks a password: %s", b.String())
	}
}

func TestOIDC(t *testing.T) {
	t.Parallel()
	env := func(m map[string]string) func(string) (string, bool) {
		return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
	}
	const tenant = "0b8c5a52-8f0e-4a4e-9d57-6c4a0d8d2f11"
	ok := map[string]string{
		"DOCFLOW_OIDC_ISSUER":        "https://login.example.com/realms/hr",
		"DOCFLOW_OIDC_CLIENT_ID":     "docflow",
		"DOCFLOW_OIDC_CLIENT_SECRET": "oidc-very-secret",
		"DOCFLOW_OIDC_REDIRECT_URL":  "https://docflow.example.com/desk/sso/callback",
	}
	with := func(extra map[string]string) map[string]string {
		m := maps.Clone(ok)
		maps.Copy(m, extra)
		return m
	}
	c, err := FromLookup(env(nil))
	if err != nil || c.OIDC.Enabled() {
		t.Fatalf("single sign-on is on by default: %+v, %v", c.OIDC, err)
	}
	c, err = FromLookup(env(ok))
	if err != nil || !c.OIDC.Enabled() || c.OIDC.TenantClaim != "docflow_tenant" || c.OIDC.RoleClaim != "docflow_role" ||
		c.OIDC.EmailClaim != "email" || !slices.Equal(c.OIDC.Scopes, []string{"openid", "email", "profile"}) {
		t.Fatalf("defaults = %+v, %v", c.OIDC, err)
	}
	c, err = FromLookup(env(with(map[string]string{
		"DOCFLOW_OIDC_ROLE_CLAIM":      "groups",
		"DOCFLOW_OIDC_ROLE_MAP":        "hr-reviewers=reviewer, cn=hr-admins=admin",
		"DOCFLOW_OIDC_TENANT_MAP":      "acme=" + tenant,
		"DOCFLOW_OIDC_ALLOWED_TENANTS": tenant,
		"DOCFLOW_OIDC_SCOPES":          "openid,email groups",
	})))
	if err != nil || c.OIDC.RoleMap["hr-reviewers"] != "reviewer" || c.OIDC.RoleMap["cn=hr-admins"] != "admin" || c.OIDC.TenantMap["acme"] != tenant ||
		!slices.Equal(c.OIDC.AllowedTenants, []string{tenant}) || !slices.Equal(c.OIDC.Scopes, []string{"openid", "email", "groups"}) {
		t.Errorf("maps = %+v, %v", c.OIDC, err)
	}
	for name, bad := range map[string]map[string]string{
		"issuer alone":             {"DOCFLOW_OIDC_ISSUER": ok["DOCFLOW_OIDC_ISSUER"]},
		"client id alone":          {"DOCFLOW_OIDC_CLIENT_ID": "docflow"},
		"no secret":                with(map[string]string{"DOCFLOW_OIDC_CLIENT_SECRET": ""}),
		"plain HTTP issuer":        with(map[string]string{"DOCFLOW_OIDC_ISSUER": "http://login.example.com"}),
		"relative redirect":        with(map[string]string{"DOCFLOW_OIDC_REDIRECT_URL": "/desk/sso/callback"}),
		"redirect elsewhere":       with(map[string]string{"DOCFLOW_OIDC_REDIRECT_URL": "https://docflow.example.com/callback"}),
		"scopes without openid":    with(map[string]string{"DOCFLOW_OIDC_SCOPES": "email profile"}),
		"role map to no role":      with(map[string]string{"DOCFLOW_OIDC_ROLE_MAP": "hr=owner"}),
		"malformed role map":       with(map[string]string{"DOCFLOW_OIDC_ROLE_MAP": "reviewer"}),
		"tenant map to no id":      with(map[string]string{"DOCFLOW_OIDC_TENANT_MAP": "acme=Acme Inc"}),
		"allowed tenant not an id": with(map[string]string{"DOCFLOW_OIDC_ALLOWED_TENANTS": "acme"}),
	} {
		if _, err := FromLookup(env(bad)); err == nil {
			t.Errorf("%s: FromLookup succeeded, want an error", name)
		}
	}
	// A provider on this machine may speak plain HTTP (development).
	if _, err := FromLookup(env(with(map[string]string{"DOCFLOW_OIDC_ISSUER": "http://127.0.0.1:5556/dex",
		"DOCFLOW_OIDC_REDIRECT_URL": "http://localhost:8080/desk/sso/callback"}))); err != nil {
		t.Errorf("loopback provider: %v", err)
	}
	var b strings.Builder
	c, _ = FromLookup(env(ok))
	c.Dump(&b)
	if strings.Contains(b.String(), "oidc-very-secret") || !strings.Contains(b.String(), "issuer=https://login.example.com/realms/hr") {
		t.Errorf("Dump = %s", b.String())
	}
}
