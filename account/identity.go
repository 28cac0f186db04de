package account

import (
	"fmt"
	"strings"

	"github.com/docflow/docflow/derrors"
	"github.com/docflow/docflow/pipeline"
)

// Identity is a person as an OpenID provider vouched for them in a
// verified ID token, with the tenant and role mapped from its claims.
//
// The provider is the source of truth: each sign-in finds the user of
// (TenantID, Issuer, Subject), or creates it, and sets its role, email
// and name from the identity. A local account of the tenant with the same
// email becomes this person's single sign-on account (its password is
// dropped) only when the provider says the email is verified.
type Identity struct {
	Issuer, Subject string
	TenantID        string
	Role            pipeline.Role
	Email           string
	// EmailVerified is the token's email_verified claim.
	EmailVerified bool
	Name          string
}

// User returns the user that the identity signs in as, before storage
// (no ID, no creation time).
func (id Identity) User() User {
	email, err := NormalizeEmail(id.Email)
	if err != nil {
		email = id.Email
	}
	name := strings.TrimSpace(id.Name)
	if name == "" {
		name = email
	}
	return User{TenantID: id.TenantID, Email: email, Name: name, Role: id.Role, SSOIssuer: id.Issuer, SSOSubject: id.Subject}
}

// Check tells whether the identity may sign in as a user: an issuer, a
// subject, and a user that passes User.Check.
func (id Identity) Check() error {
	if id.Issuer == "" || id.Subject == "" {
		return fmt.Errorf("%w: a single sign-on identity needs an issuer and a subject", derrors.InvalidArgument)
	}
	return id.User().Check()
}
