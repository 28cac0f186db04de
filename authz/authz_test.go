package authz_test

import (
	"regexp"
	"slices"
	"testing"

	"github.com/docflow/docflow/authz"
	"github.com/docflow/docflow/pipeline"
)

var actionName = regexp.MustCompile(`^[a-z]+\.[a-z_]+$`)

// TestMatrixIsWellFormed checks each action once, named object.verb, with
// at least one role, its roles known and in the columns' order.
func TestMatrixIsWellFormed(t *testing.T) {
	t.Parallel()
	seen := map[authz.Action]bool{}
	for _, a := range authz.Actions() {
		if seen[a] {
			t.Errorf("%s is in the matrix twice", a)
		}
		seen[a] = true
		if !actionName.MatchString(string(a)) {
			t.Errorf("action %q is not named object.verb", a)
		}
		if authz.Describe(a) == "" {
			t.Errorf("%s says nothing of what it allows", a)
		}
		roles := authz.Roles(a)
		if len(roles) == 0 {
			t.Errorf("no role may %s", a)
		}
		last := -1
		for _, r := range roles {
			i := slices.Index(authz.AllRoles(), r)
			if i < 0 || !pipeline.ValidRole(r) {
				t.Errorf("%s: unknown role %q", a, r)
			}
			if i <= last {
				t.Errorf("%s: roles %v out of the columns' order", a, roles)
			}
			last = i
		}
	}
}

// TestCanAgreesWithRoles checks Can against Roles for every role, and that
// unknown roles and actions may nothing.
func TestCanAgreesWithRoles(t *testing.T) {
	t.Parallel()
	for _, a := range authz.Actions() {
		for _, r := range authz.AllRoles() {
			if got, want := authz.Can(r, a), slices.Contains(authz.Roles(a), r); got != want {
				t.Errorf("Can(%s, %s) = %v, Roles says %v", r, a, got, want)
			}
		}
		if authz.Can("", a) || authz.Can("root", a) {
			t.Errorf("an unknown role may %s", a)
		}
	}
	if authz.Can(pipeline.RoleAdmin, "document.delete") || len(authz.Roles("document.delete")) != 0 {
		t.Error("an unknown action is allowed")
	}
	authz.Roles(authz.DocumentRead)[0] = "root"
	if authz.Can("root", authz.DocumentRead) {
		t.Error("Roles returns the matrix itself, not a copy")
	}
}

// TestAuditorChangesNothing checks the auditor's promise: read only.
func TestAuditorChangesNothing(t *testing.T) {
	t.Parallel()
	writes := []authz.Action{authz.DocumentUpload, authz.ReviewClaim, authz.ReviewRelease, authz.ReviewReleaseAny,
		authz.ReviewDecide, authz.SettingsWrite, authz.MailboxWrite, authz.InboundWrite}
	for _, a := range writes {
		if authz.Can(pipeline.RoleAuditor, a) {
			t.Errorf("an auditor may %s", a)
		}
	}
}
