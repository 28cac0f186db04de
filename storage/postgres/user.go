package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/docflow/docflow/account"
	"github.com/docflow/docflow/derrors"
	"github.com/docflow/docflow/pipeline"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

const userColumns = `u.id, u.tenant_id, u.email, u.name, u.role, u.password_hash, u.created_at, u.disabled_at,
	coalesce(u.sso_issuer, ''), coalesce(u.sso_subject, '')`

func scanUser(row pgx.Row, extra ...any) (account.User, error) {
	var u account.User
	var role string
	err := row.Scan(append([]any{&u.ID, &u.TenantID, &u.Email, &u.Name, &role, &u.PasswordHash, &u.CreatedAt, &u.DisabledAt,
		&u.SSOIssuer, &u.SSOSubject}, extra...)...)
	u.Role = pipeline.Role(role)
	return u, err
}

// CreateUser inserts a person of a tenant; u.PasswordHash must be set
// (account.HashPassword). The email is stored lower-cased, unique per tenant.
func (s *Store) CreateUser(ctx context.Context, u account.User) (account.User, error) {
	if err := u.Check(); err != nil {
		return account.User{}, err
	}
	u.Email, _ = account.NormalizeEmail(u.Email)
	u.ID, u.Name = uuid.NewString(), strings.TrimSpace(u.Name)
	err := s.pool.QueryRow(ctx, `INSERT INTO users (id, tenant_id, email, name, role, password_hash)
		VALUES ($1, $2, $3, $4, $5, $6) RETURNING created_at`,
		u.ID, u.TenantID, u.Email, u.Name, string(u.Role), u.PasswordHash).Scan(&u.CreatedAt)
	switch {
	case isUniqueViolation(err, "users_tenant_email"):
		return account.User{}, fmt.Errorf("%w: tenant %s has a user %s already", derrors.Conflict, u.TenantID, u.Email)
	case isInvalidID(err) || (err != nil && strings.Contains(err.Error(), "users_tenant_id_fkey")):
		return account.User{}, fmt.Errorf("tenant %q: %w", u.TenantID, derrors.NotFound)
	}
	return u, err
}

// UsersByEmail returns the enabled users with this email, in every tenant
// (one person may work for several agencies).
func (s *Store) UsersByEmail(ctx context.Context, email string) ([]account.User, error) {
	rows, err := s.pool.Query(ctx, "SELECT "+userColumns+` FROM users u
		WHERE lower(u.email) = lower($1) AND u.disabled_at IS NULL ORDER BY u.created_at`, strings.TrimSpace(email))
	if err != nil {
		return nil, err
	}
	return collectUsers(rows)
}

// TenantUsers lists a tenant's users, disabled ones included, by name.
func (s *Store) TenantUsers(ctx context.Context, tenantID string) ([]account.User, error) {
	rows, err := s.pool.Query(ctx, "SELECT "+userColumns+" FROM users u WHERE u.tenant_id = $1 ORDER BY u.name, u.email", tenantID)
	if err != nil {
		if isInvalidID(err) {
			return nil, fmt.Errorf("tenant %q: %w", tenantID, derrors.NotFound)
		}
		return nil, err
	}
	return collectUsers(rows)
}

func collectUsers(rows pgx.Rows) ([]account.User, error) {
	defer rows.Close()
	out := []account.User{}
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// CreateSession stores a new session, and drops the user's expired ones.
func (s *Store) CreateSession(ctx context.Context, sess account.Session) error {
	return WithTx(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "DELETE FROM sessions WHERE user_id = $1 AND expires_at <= now()", sess.UserID); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO sessions (id, user_id, tenant_id, csrf_token, created_at, expires_at, last_seen_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7)`, sess.ID, sess.UserID, sess.TenantID, sess.CSRFToken,
			sess.CreatedAt, sess.ExpiresAt, sess.LastSeenAt)
		return err
	})
}

// TouchSession returns the live session of this id with its user, and
// records that it was seen at now. A session past its absolute expiry,
// idle for longer than idle, or whose user is disabled, is
// derrors.Unauthenticated.
func (s *Store) TouchSession(ctx context.Context, id []byte, now time.Time, idle time.Duration) (account.Session, account.User, error) {
	var sess account.Session
	u, err := scanUser(s.pool.QueryRow(ctx, `UPDATE sessions s SET last_seen_at = $2
		FROM users u
		WHERE s.id = $1 AND u.id = s.user_id AND u.disabled_at IS NULL
		AND s.expires_at > $2 AND s.last_seen_at > $2 - make_interval(secs => $3)
		RETURNING `+userColumns+`, s.id, s.user_id, s.tenant_id, s.csrf_token, s.created_at, s.expires_at, s.last_seen_at`,
		id, now, idle.Seconds()),
		&sess.ID, &sess.UserID, &sess.TenantID, &sess.CSRFToken, &sess.CreatedAt, &sess.ExpiresAt, &sess.LastSeenAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return account.Session{}, account.User{}, fmt.Errorf("%w: no live session", derrors.Unauthenticated)
	}
	return sess, u, err
}

// Session is TouchSession without recording that the session was seen:
// for a page's background refresh, which is no sign that a person is
// there, so it must not keep an idle session alive.
func (s *Store) Session(ctx context.Context, id []byte, now time.Time, idle time.Duration) (account.Session, account.User, error) {
	var sess account.Session
	u, err := scanUser(s.pool.QueryRow(ctx, `SELECT `+userColumns+`, s.id, s.user_id, s.tenant_id, s.csrf_token, s.created_at, s.expires_at, s.last_seen_at
		FROM sessions s JOIN users u ON u.id = s.user_id
		WHERE s.id = $1 AND u.disabled_at IS NULL
		AND s.expires_at > $2 AND s.last_seen_at > $2 - make_interval(secs => $3)`,
		id, now, idle.Seconds()),
		&sess.ID, &sess.UserID, &sess.TenantID, &sess.CSRFToken, &sess.CreatedAt, &sess.ExpiresAt, &sess.LastSeenAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return account.Session{}, account.User{}, fmt.Errorf("%w: no live session", derrors.Unauthenticated)
	}
	return sess, u, err
}

// DeleteSession ends a session (sign-out).
func (s *Store) DeleteSession(ctx context.Context, id []byte) error {
	_, err := s.pool.Exec(ctx, "DELETE FROM sessions WHERE id = $1", id)
	return err
}

// SSOUser returns the user that a person signing in through an OpenID
// provider acts as, in one transaction: the user of (tenant, issuer,
// subject), else the local account of the tenant with the same email when
// the provider verified it (its password is dropped), else a new user.
// The role, email and name are set from the identity each time, since the
// provider is their source of truth.
//
// A disabled user is derrors.Forbidden; a missing tenant derrors.NotFound;
// an email held by another account that cannot be linked derrors.Conflict.
func (s *Store) SSOUser(ctx context.Context, id account.Identity) (account.User, error) {
	if err := id.Check(); err != nil {
		return account.User{}, err
	}
	want := id.User()
	var out account.User
	err := WithTx(ctx, s.pool, func(tx pgx.Tx) error {
		u, err := scanUser(tx.QueryRow(ctx, "SELECT "+userColumns+` FROM users u
			WHERE u.tenant_id = $1 AND u.sso_issuer = $2 AND u.sso_subject = $3 FOR UPDATE`, want.TenantID, want.SSOIssuer, want.SSOSubject))
		if errors.Is(err, pgx.ErrNoRows) {
			u, err = ssoLinkable(ctx, tx, want, id.EmailVerified)
		}
		switch {
		case errors.Is(err, pgx.ErrNoRows):
			out, err = insertSSOUser(ctx, tx, want)
			return err
		case err != nil:
			return err
		case u.DisabledAt != nil:
			return fmt.Errorf("%w: user %s is disabled", derrors.Forbidden, u.ID)
		}
		out, err = scanUser(tx.QueryRow(ctx, `UPDATE users u SET email = $2, name = $3, role = $4, sso_issuer = $5,
			sso_subject = $6, password_hash = '' WHERE u.id = $1 RETURNING `+userColumns,
			u.ID, want.Email, want.Name, string(want.Role), want.SSOIssuer, want.SSOSubject))
		return err
	})
	switch {
	case isUniqueViolation(err, "users_tenant_email"):
		return account.User{}, fmt.Errorf("%w: tenant %s has another account with this email", derrors.Conflict, want.TenantID)
	case isUniqueViolation(err, "users_tenant_sso"):
		return account.User{}, fmt.Errorf("%w: a simultaneous sign-in created this account; try again", derrors.Conflict)
	case isInvalidID(err) || (err != nil && strings.Contains(err.Error(), "users_tenant_id_fkey")):
		return account.User{}, fmt.Errorf("tenant %q: %w", want.TenantID, derrors.NotFound)
	}
	return out, err
}

// ssoLinkable returns the tenant's account with the identity's email, for
// a first single sign-on, or pgx.ErrNoRows. An account bound to another
// identity, or an email the provider did not verify, is a conflict.
func ssoLinkable(ctx context.Context, tx pgx.Tx, want account.User, verified bool) (account.User, error) {
	u, err := scanUser(tx.QueryRow(ctx, "SELECT "+userColumns+` FROM users u
		WHERE u.tenant_id = $1 AND lower(u.email) = lower($2) FOR UPDATE`, want.TenantID, want.Email))
	switch {
	case err != nil:
		return u, err
	case u.SSO():
		return u, fmt.Errorf("%w: the email belongs to another single sign-on identity of the tenant (user %s)", derrors.Conflict, u.ID)
	case !verified:
		return u, fmt.Errorf("%w: the tenant has a local account with this email (user %s), and the identity provider does not say that the email is verified", derrors.Conflict, u.ID)
	}
	return u, nil
}

func insertSSOUser(ctx context.Context, tx pgx.Tx, u account.User) (account.User, error) {
	u.ID = uuid.NewString()
	err := tx.QueryRow(ctx, `INSERT INTO users (id, tenant_id, email, name, role, password_hash, sso_issuer, sso_subject)
		VALUES ($1, $2, $3, $4, $5, '', $6, $7) RETURNING created_at`,
		u.ID, u.TenantID, u.Email, u.Name, string(u.Role), u.SSOIssuer, u.SSOSubject).Scan(&u.CreatedAt)
	return u, err
}
