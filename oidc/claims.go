package oidc

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/docflow/docflow/account"
	"github.com/docflow/docflow/derrors"
	"github.com/docflow/docflow/pipeline"
)

// Default claim names.
const (
	DefaultTenantClaim = "docflow_tenant"
	DefaultRoleClaim   = "docflow_role"
	DefaultEmailClaim  = "email"
	DefaultNameClaim   = "name"
)

// Claims says which claims of the ID token carry the tenant, the role,
// the email and the name, and how their values map onto docflow.
//
// A claim name is looked up as it is ("https://example.com/tenant"), and
// else as a dotted path into nested objects ("realm_access.roles").
type Claims struct {
	// Tenant is the tenant claim (default docflow_tenant). Its value, a
	// string or a list of exactly one string, is a docflow tenant id, or
	// a key of TenantMap when that is set (an organisation's name at the
	// provider, for instance); values outside the map are refused.
	Tenant    string
	TenantMap map[string]string
	// AllowedTenants, when set, are the only tenant ids this provider may
	// sign people in to.
	AllowedTenants []string
	// Role is the role claim (default docflow_role): a string or a list
	// (groups). Without RoleMap each value that is a docflow role name
	// (uploader, reviewer, admin, auditor) counts; with it, each value
	// that is a key of the map. Exactly one role must result: none, or
	// two different ones, is refused.
	Role    string
	RoleMap map[string]pipeline.Role
	// Email and Name are the email and display name claims (default email
	// and name). The email is required.
	Email, Name string
}

func (c Claims) withDefaults() Claims {
	def := func(s *string, d string) {
		if *s == "" {
			*s = d
		}
	}
	def(&c.Tenant, DefaultTenantClaim)
	def(&c.Role, DefaultRoleClaim)
	def(&c.Email, DefaultEmailClaim)
	def(&c.Name, DefaultNameClaim)
	return c
}

func (c Claims) check() error {
	for group, r := range c.RoleMap {
		if !pipeline.ValidRole(r) {
			return fmt.Errorf("oidc: role map: %q maps to %q, which is not uploader, reviewer, admin or auditor", group, r)
		}
	}
	return nil
}

// Codes of a ClaimError, also the keys of the desk's messages.
const (
	CodeNoTenant         = "no_tenant"
	CodeSeveralTenants   = "several_tenants"
	CodeTenantNotAllowed = "tenant_not_allowed"
	CodeNoRole           = "no_role"
	CodeUnknownRole      = "unknown_role"
	CodeSeveralRoles     = "several_roles"
	CodeNoEmail          = "no_email"
)

// ClaimError refuses a verified ID token whose claims do not say who the
// person is in docflow. It is derrors.Forbidden.
type ClaimError struct {
	// Code is one of the Code constants.
	Code string
	// Claim is the claim's name; Value what it held, if anything.
	Claim, Value string
}

func (e *ClaimError) Error() string {
	var msg string
	switch e.Code {
	case CodeNoTenant:
		msg = fmt.Sprintf("the ID token has no tenant in claim %q", e.Claim)
	case CodeSeveralTenants:
		msg = fmt.Sprintf("claim %q gives several tenants (%s): give the person one", e.Claim, e.Value)
	case CodeTenantNotAllowed:
		msg = fmt.Sprintf("claim %q: tenant %q is not allowed for this identity provider", e.Claim, e.Value)
	case CodeNoRole:
		msg = fmt.Sprintf("the ID token has no role in claim %q", e.Claim)
	case CodeUnknownRole:
		msg = fmt.Sprintf("claim %q: %q is not a docflow role (uploader, reviewer, admin, auditor) nor mapped to one", e.Claim, e.Value)
	case CodeSeveralRoles:
		msg = fmt.Sprintf("claim %q gives several roles (%s): give the person one", e.Claim, e.Value)
	default:
		msg = fmt.Sprintf("the ID token has no valid email in claim %q", e.Claim)
	}
	return "oidc: sign-in refused: " + msg
}

// Is makes errors.Is(err, derrors.Forbidden) true.
func (e *ClaimError) Is(target error) bool { return target == derrors.Forbidden }

// identity maps verified claims onto an identity, without issuer and subject.
func (c Claims) identity(claims map[string]any) (account.Identity, error) {
	var id account.Identity
	var err error
	if id.TenantID, err = c.tenant(claims); err != nil {
		return id, err
	}
	if id.Role, err = c.role(claims); err != nil {
		return id, err
	}
	email := first(lookup(claims, c.Email))
	if id.Email, err = account.NormalizeEmail(email); err != nil {
		return id, &ClaimError{Code: CodeNoEmail, Claim: c.Email, Value: email}
	}
	id.EmailVerified = truthy(lookup(claims, "email_verified"))
	id.Name = first(lookup(claims, c.Name))
	if id.Name == "" {
		id.Name = first(lookup(claims, "preferred_username"))
	}
	return id, nil
}

func (c Claims) tenant(claims map[string]any) (string, error) {
	vals := claimStrings(lookup(claims, c.Tenant))
	switch {
	case len(vals) == 0:
		return "", &ClaimError{Code: CodeNoTenant, Claim: c.Tenant}
	case len(vals) > 1:
		return "", &ClaimError{Code: CodeSeveralTenants, Claim: c.Tenant, Value: clip(strings.Join(vals, ", "))}
	}
	t := vals[0]
	if len(c.TenantMap) > 0 {
		mapped, ok := c.TenantMap[t]
		if !ok {
			return "", &ClaimError{Code: CodeTenantNotAllowed, Claim: c.Tenant, Value: clip(t)}
		}
		t = mapped
	}
	if len(c.AllowedTenants) > 0 && !slices.Contains(c.AllowedTenants, t) {
		return "", &ClaimError{Code: CodeTenantNotAllowed, Claim: c.Tenant, Value: clip(t)}
	}
	return t, nil
}

func (c Claims) role(claims map[string]any) (pipeline.Role, error) {
	vals := claimStrings(lookup(claims, c.Role))
	roles := map[pipeline.Role]bool{}
	for _, v := range vals {
		r, ok := c.RoleMap[v]
		if len(c.RoleMap) == 0 {
			r, ok = pipeline.Role(v), pipeline.ValidRole(pipeline.Role(v))
		}
		if ok {
			roles[r] = true
		}
	}
	switch {
	case len(vals) == 0:
		return "", &ClaimError{Code: CodeNoRole, Claim: c.Role}
	case len(roles) == 0:
		return "", &ClaimError{Code: CodeUnknownRole, Claim: c.Role, Value: clip(strings.Join(vals, ", "))}
	case len(roles) > 1:
		names := slices.Sorted(maps.Keys(roles))
		return "", &ClaimError{Code: CodeSeveralRoles, Claim: c.Role, Value: fmt.Sprint(names)}
	}
	for r := range roles {
		return r, nil
	}
	return "", nil
}

// lookup finds a claim by its exact name, else by a dotted path.
func lookup(claims map[string]any, name string) any {
	if v, ok := claims[name]; ok {
		return v
	}
	var cur any = claims
	for part := range strings.SplitSeq(name, ".") {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = m[part]
	}
	return cur
}

// claimStrings returns a claim's string values: a string, or the strings of a
// list; other types give none.
func claimStrings(v any) []string {
	switch v := v.(type) {
	case string:
		if s := strings.TrimSpace(v); s != "" {
			return []string{s}
		}
	case []any:
		var out []string
		for _, e := range v {
			if s, ok := e.(string); ok && strings.TrimSpace(s) != "" {
				out = append(out, strings.TrimSpace(s))
			}
		}
		return out
	}
	return nil
}

func first(v any) string {
	if s := claimStrings(v); len(s) > 0 {
		return s[0]
	}
	return ""
}

// truthy reads a boolean claim, which some providers send as a string.
func truthy(v any) bool {
	switch v := v.(type) {
	case bool:
		return v
	case string:
		return strings.EqualFold(v, "true")
	}
	return false
}

// clip bounds a claim's value quoted in a message.
func clip(s string) string {
	if r := []rune(s); len(r) > 80 {
		return string(r[:80]) + "…"
	}
	return s
}
