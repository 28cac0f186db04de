// Package account holds the people who sign in to the review desk: users
// bound to one tenant and one role, their sessions, and password hashing
// with argon2id. A signed-in user acts as a pipeline.Principal, so that
// four eyes, claiming and the audit log treat people and API keys alike.
package account

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net/mail"
	"strings"
	"time"

	"github.com/docflow/docflow/derrors"
	"github.com/docflow/docflow/pipeline"
)

// PrincipalPrefix starts the KeyID of a principal that is a person.
const PrincipalPrefix = "user:"

// User is a person of one tenant with one role.
type User struct {
	ID       string        `json:"id"`
	TenantID string        `json:"tenant_id"`
	Email    string        `json:"email"`
	Name     string        `json:"name"`
	Role     pipeline.Role `json:"role"`
	// PasswordHash is the argon2id hash in PHC form (see HashPassword);
	// empty for a person who signs in only through single sign-on.
	PasswordHash string     `json:"-"`
	CreatedAt    time.Time  `json:"created_at"`
	DisabledAt   *time.Time `json:"disabled_at,omitempty"`
	// SSOIssuer and SSOSubject name the person at their OpenID provider
	// (the ID token's iss and sub) when they sign in through it.
	SSOIssuer  string `json:"sso_issuer,omitempty"`
	SSOSubject string `json:"-"`
}

// SSO reports whether the user signs in through an OpenID provider.
func (u User) SSO() bool { return u.SSOSubject != "" }

// Principal returns who the user is to the pipeline.
func (u User) Principal() pipeline.Principal {
	return pipeline.Principal{KeyID: PrincipalPrefix + u.ID, TenantID: u.TenantID, Role: u.Role}
}

// NormalizeEmail trims and lower-cases an email address and checks its form.
func NormalizeEmail(email string) (string, error) {
	e := strings.ToLower(strings.TrimSpace(email))
	a, err := mail.ParseAddress(e)
	if err != nil || a.Address != e {
		return "", fmt.Errorf("%w: %q is not an email address", derrors.InvalidArgument, email)
	}
	return e, nil
}

// Check tells whether u may be stored: a tenant, an email, a name, a known
// role, and a password or a single sign-on identity.
func (u User) Check() error {
	switch {
	case u.TenantID == "":
		return fmt.Errorf("%w: a user needs a tenant", derrors.InvalidArgument)
	case strings.TrimSpace(u.Name) == "":
		return fmt.Errorf("%w: a user needs a name", derrors.InvalidArgument)
	case !pipeline.ValidRole(u.Role):
		return fmt.Errorf("%w: role %q: want uploader, reviewer, admin or auditor", derrors.InvalidArgument, u.Role)
	case u.PasswordHash == "" && !u.SSO():
		return fmt.Errorf("%w: a user needs a password", derrors.InvalidArgument)
	case (u.SSOIssuer == "") != (u.SSOSubject == ""):
		return fmt.Errorf("%w: a single sign-on identity needs an issuer and a subject", derrors.InvalidArgument)
	}
	_, err := NormalizeEmail(u.Email)
	return err
}

// Session is a signed-in browser. The cookie carries a random token; the
// store keeps only its SHA-256 (ID), so a copy of the table opens nothing.
type Session struct {
	ID         []byte
	UserID     string
	TenantID   string
	CSRFToken  string
	CreatedAt  time.Time
	ExpiresAt  time.Time
	LastSeenAt time.Time
}

// NewSession returns a session for u that ends at the latest after
// lifetime, with the token for the cookie.
func NewSession(u User, now time.Time, lifetime time.Duration) (s Session, token string) {
	token = RandomToken()
	return Session{ID: SessionID(token), UserID: u.ID, TenantID: u.TenantID, CSRFToken: RandomToken(),
		CreatedAt: now, ExpiresAt: now.Add(lifetime), LastSeenAt: now}, token
}

// SessionID is what the store keeps of a session token.
func SessionID(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

// RandomToken returns 32 random bytes, base64url-encoded.
func RandomToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	return base64.RawURLEncoding.EncodeToString(b)
}
