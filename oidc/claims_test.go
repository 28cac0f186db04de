package oidc

import (
	"errors"
	"strings"
	"testing"

	"github.com/docflow/docflow/account"
	"github.com/docflow/docflow/derrors"
	"github.com/docflow/docflow/pipeline"
	"github.com/google/go-cmp/cmp"
)

const (
	tenantA = "0b8c5a52-8f0e-4a4e-9d57-6c4a0d8d2f11"
	tenantB = "6f1d2c3b-1111-4c2d-9e8f-0a1b2c3d4e5f"
)

func TestClaimMapping(t *testing.T) {
	t.Parallel()
	base := func(extra map[string]any) map[string]any {
		m := map[string]any{"sub": "s1", "email": "Rita@Example.fr", "email_verified": true, "name": "Rita Relue"}
		for k, v := range extra {
			m[k] = v
		}
		return m
	}
	groups := Claims{Role: "groups", RoleMap: map[string]pipeline.Role{"hr-review": pipeline.RoleReviewer, "hr-admin": pipeline.RoleAdmin, "hr-review-2": pipeline.RoleReviewer}}
	orgs := Claims{Tenant: "org", TenantMap: map[string]string{"acme": tenantA}}
	for _, tc := range []struct {
		name   string
		claims Claims
		token  map[string]any
		want   account.Identity
		code   string // ClaimError code, if refused
	}{
		{name: "direct claims", token: base(map[string]any{"docflow_tenant": tenantA, "docflow_role": "reviewer"}),
			want: account.Identity{TenantID: tenantA, Role: pipeline.RoleReviewer, Email: "rita@example.fr", EmailVerified: true, Name: "Rita Relue"}},
		{name: "groups through the role map, two groups of one role", claims: groups,
			token: base(map[string]any{"docflow_tenant": tenantA, "groups": []any{"staff", "hr-review", "hr-review-2"}}),
			want:  account.Identity{TenantID: tenantA, Role: pipeline.RoleReviewer, Email: "rita@example.fr", EmailVerified: true, Name: "Rita Relue"}},
		{name: "organisation through the tenant map", claims: orgs,
			token: base(map[string]any{"org": "acme", "docflow_role": "auditor", "email_verified": "false", "name": nil, "preferred_username": "rita"}),
			want:  account.Identity{TenantID: tenantA, Role: pipeline.RoleAuditor, Email: "rita@example.fr", Name: "rita"}},
		{name: "nested and namespaced claim names",
			claims: Claims{Tenant: "https://docflow.example/tenant", Role: "realm_access.roles"},
			token:  base(map[string]any{"https://docflow.example/tenant": []any{tenantB}, "realm_access": map[string]any{"roles": []any{"offline", "admin"}}}),
			want:   account.Identity{TenantID: tenantB, Role: pipeline.RoleAdmin, Email: "rita@example.fr", EmailVerified: true, Name: "Rita Relue"}},
		{name: "no tenant claim", token: base(map[string]any{"docflow_role": "reviewer"}), code: CodeNoTenant},
		{name: "empty tenant claim", token: base(map[string]any{"docflow_tenant": " ", "docflow_role": "reviewer"}), code: CodeNoTenant},
		{name: "two tenants", token: base(map[string]any{"docflow_tenant": []any{tenantA, tenantB}, "docflow_role": "reviewer"}), code: CodeSeveralTenants},
		{name: "organisation outside the tenant map", claims: orgs, token: base(map[string]any{"org": "globex", "docflow_role": "reviewer"}), code: CodeTenantNotAllowed},
		{name: "tenant outside the allowed list", claims: Claims{AllowedTenants: []string{tenantA}},
			token: base(map[string]any{"docflow_tenant": tenantB, "docflow_role": "reviewer"}), code: CodeTenantNotAllowed},
		{name: "no role claim", token: base(map[string]any{"docflow_tenant": tenantA}), code: CodeNoRole},
		{name: "unknown role", token: base(map[string]any{"docflow_tenant": tenantA, "docflow_role": "owner"}), code: CodeUnknownRole},
		{name: "role claim of another type", token: base(map[string]any{"docflow_tenant": tenantA, "docflow_role": 3}), code: CodeNoRole},
		{name: "groups that map to no role", claims: groups, token: base(map[string]any{"docflow_tenant": tenantA, "groups": []any{"staff"}}), code: CodeUnknownRole},
		{name: "a role name is not a group once the map is set", claims: groups,
			token: base(map[string]any{"docflow_tenant": tenantA, "groups": []any{"admin"}}), code: CodeUnknownRole},
		{name: "groups that map to two roles", claims: groups,
			token: base(map[string]any{"docflow_tenant": tenantA, "groups": []any{"hr-review", "hr-admin"}}), code: CodeSeveralRoles},
		{name: "no email", token: map[string]any{"docflow_tenant": tenantA, "docflow_role": "reviewer"}, code: CodeNoEmail},
		{name: "malformed email", token: base(map[string]any{"docflow_tenant": tenantA, "docflow_role": "reviewer", "email": "rita"}), code: CodeNoEmail},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := tc.claims.withDefaults().identity(tc.token)
			if tc.code != "" {
				var ce *ClaimError
				if !errors.As(err, &ce) || ce.Code != tc.code || !errors.Is(err, derrors.Forbidden) {
					t.Fatalf("identity = %+v, %v; want claim error %s", got, err, tc.code)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("identity (-want +got):\n%s", diff)
			}
		})
	}
}

func TestNewChecksConfig(t *testing.T) {
	t.Parallel()
	ok := Config{Issuer: "https://idp.example", ClientID: "docflow", ClientSecret: "s", RedirectURL: "https://docflow.example/desk/sso/callback"}
	if _, err := New(ok); err != nil {
		t.Fatal(err)
	}
	for name, edit := range map[string]func(*Config){
		"no issuer":           func(c *Config) { c.Issuer = "" },
		"no client secret":    func(c *Config) { c.ClientSecret = "" },
		"scopes without open": func(c *Config) { c.Scopes = []string{"email"} },
		"role map to no role": func(c *Config) { c.Claims.RoleMap = map[string]pipeline.Role{"hr": "owner"} },
	} {
		c := ok
		edit(&c)
		if _, err := New(c); err == nil {
			t.Errorf("%s: New accepted %+v", name, c)
		}
	}
}

func TestClaimErrorsReadWell(t *testing.T) {
	t.Parallel()
	for _, code := range []string{CodeNoTenant, CodeSeveralTenants, CodeTenantNotAllowed, CodeNoRole, CodeUnknownRole, CodeSeveralRoles, CodeNoEmail} {
		msg := (&ClaimError{Code: code, Claim: "c", Value: "v"}).Error()
		if len(msg) < 40 || strings.Contains(msg, "%!") {
			t.Errorf("%s: %q", code, msg)
		}
	}
}
