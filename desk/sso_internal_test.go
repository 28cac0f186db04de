package desk

import (
	"strings"
	"testing"

	"github.com/docflow/docflow/oidc"
)

// TestSSOMessages: every refusal of a token's claims has its message in
// both languages, and each formats with the claim and its value.
func TestSSOMessages(t *testing.T) {
	t.Parallel()
	codes := []string{oidc.CodeNoTenant, oidc.CodeSeveralTenants, oidc.CodeTenantNotAllowed, oidc.CodeNoRole,
		oidc.CodeUnknownRole, oidc.CodeSeveralRoles, oidc.CodeNoEmail}
	for _, key := range append([]string{"unknown_tenant", "provider"}, codes...) {
		for _, l := range []Lang{French, English} {
			msg := l.F("sso."+key, "docflow_tenant", "acme")
			if _, ok := messages["sso."+key]; !ok || strings.Contains(msg, "%!") || !strings.ContainsAny(msg, " ") {
				t.Errorf("%s sso.%s = %q", l, key, msg)
			}
		}
	}
}

func TestFlowCookieRoundTrip(t *testing.T) {
	t.Parallel()
	f := oidc.NewFlow()
	for _, next := range []string{"/desk/queue?type=contract", "", "https://evil.example/"} {
		v := encodeFlow(f, next)
		if strings.ContainsAny(v, " ;,\"") {
			t.Errorf("cookie value %q needs quoting", v)
		}
		got, gotNext, ok := decodeFlow(v)
		if !ok || got != f || gotNext != localPath(next) {
			t.Errorf("decodeFlow(encodeFlow(%q)) = %+v %q %v", next, got, gotNext, ok)
		}
	}
	for _, bad := range []string{"", "a.b.c", "a.b.c.d.e", "!!.b.c.d", "..."} {
		if _, _, ok := decodeFlow(bad); ok {
			t.Errorf("decodeFlow(%q) accepted", bad)
		}
	}
}
