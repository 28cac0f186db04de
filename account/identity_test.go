package account_test

import (
	"errors"
	"testing"

	"github.com/docflow/docflow/account"
	"github.com/docflow/docflow/derrors"
	"github.com/docflow/docflow/pipeline"
)

func TestIdentity(t *testing.T) {
	t.Parallel()
	id := account.Identity{Issuer: "https://idp.example", Subject: "s1", TenantID: "t1", Role: pipeline.RoleReviewer,
		Email: " Rita@Example.FR", EmailVerified: true}
	u := id.User()
	if err := id.Check(); err != nil || !u.SSO() || u.PasswordHash != "" || u.Email != "rita@example.fr" || u.Name != "rita@example.fr" {
		t.Errorf("User() = %+v, Check = %v", u, err)
	}
	for name, edit := range map[string]func(*account.Identity){
		"no subject": func(i *account.Identity) { i.Subject = "" },
		"no issuer":  func(i *account.Identity) { i.Issuer = "" },
		"no tenant":  func(i *account.Identity) { i.TenantID = "" },
		"bad role":   func(i *account.Identity) { i.Role = "owner" },
		"bad email":  func(i *account.Identity) { i.Email = "rita" },
	} {
		bad := id
		edit(&bad)
		if err := bad.Check(); !errors.Is(err, derrors.InvalidArgument) {
			t.Errorf("%s: Check = %v, want invalid argument", name, err)
		}
	}
	// A user needs a password unless it signs in through a provider.
	local := account.User{TenantID: "t1", Email: "a@example.fr", Name: "A", Role: pipeline.RoleAdmin}
	if err := local.Check(); err == nil {
		t.Error("a user without password nor identity passes Check")
	}
	local.SSOSubject = "s2"
	if err := local.Check(); err == nil {
		t.Error("a subject without an issuer passes Check")
	}
}
