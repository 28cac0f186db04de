package postgres

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/docflow/docflow/derrors"
	"github.com/docflow/docflow/pipeline"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// keyPrefix starts every API key, so that secret scanners can find leaks.
const keyPrefix = "dfk_"

// CreateTenant inserts a tenant.
func (s *Store) CreateTenant(ctx context.Context, name string) (pipeline.Tenant, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return pipeline.Tenant{}, fmt.Errorf("%w: a tenant needs a name", derrors.InvalidArgument)
	}
	t := pipeline.Tenant{ID: uuid.NewString(), Name: name}
	err := s.pool.QueryRow(ctx, "INSERT INTO tenants (id, name) VALUES ($1, $2) RETURNING created_at", t.ID, t.Name).Scan(&t.CreatedAt)
	return t, err
}

// TenantSettings returns a tenant's settings (empty ones when never set).
func (s *Store) TenantSettings(ctx context.Context, tenantID string) (pipeline.TenantSettings, error) {
	var raw []byte
	var ts pipeline.TenantSettings
	err := s.pool.QueryRow(ctx, "SELECT settings FROM tenants WHERE id = $1", tenantID).Scan(&raw)
	if isInvalidID(err) {
		return ts, fmt.Errorf("tenant %q: %w", tenantID, derrors.NotFound)
	}
	if err != nil {
		return ts, notFound(err, "tenant")
	}
	if err := json.Unmarshal(raw, &ts); err != nil {
		return ts, fmt.Errorf("tenant %s: stored settings: %w", tenantID, err)
	}
	return ts, nil
}

// UpdateTenantSettings replaces a tenant's settings, with an audit entry.
func (s *Store) UpdateTenantSettings(ctx context.Context, p pipeline.Principal, ts pipeline.TenantSettings) error {
	raw, err := json.Marshal(ts)
	if err != nil {
		return err
	}
	return WithTx(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "UPDATE tenants SET settings = $2 WHERE id = $1", p.TenantID, raw); err != nil {
			return err
		}
		var details map[string]any
		_ = json.Unmarshal(raw, &details)
		return s.audit(ctx, tx, pipeline.AuditEntry{TenantID: p.TenantID, Actor: p.KeyID, Action: "tenant.settings_changed", Details: details})
	})
}

// CreateAPIKey makes a new random key for a tenant and role, with no
// name, scope or expiry (see CreateKey).
func (s *Store) CreateAPIKey(ctx context.Context, tenantID string, role pipeline.Role) (pipeline.APIKey, error) {
	return s.CreateKey(ctx, pipeline.KeySpec{TenantID: tenantID, Role: role})
}

// CreateKey makes a new random key. Only its hash is stored; the secret is
// in the returned key and nowhere else.
func (s *Store) CreateKey(ctx context.Context, spec pipeline.KeySpec) (pipeline.APIKey, error) {
	return createKey(ctx, s.pool, spec)
}

type execer interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

func createKey(ctx context.Context, q execer, spec pipeline.KeySpec) (pipeline.APIKey, error) {
	if !pipeline.ValidRole(spec.Role) {
		return pipeline.APIKey{}, fmt.Errorf("%w: role %q: want uploader, reviewer, admin or auditor", derrors.InvalidArgument, spec.Role)
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return pipeline.APIKey{}, err
	}
	scopes := spec.Scopes
	if scopes == nil {
		scopes = []string{}
	}
	k := pipeline.APIKey{ID: uuid.NewString(), Key: keyPrefix + base64.RawURLEncoding.EncodeToString(raw), TenantID: spec.TenantID,
		Role: spec.Role, Name: spec.Name, Scopes: spec.Scopes, ExpiresAt: spec.ExpiresAt, CreatedBy: spec.CreatedBy}
	err := q.QueryRow(ctx, `INSERT INTO api_keys (id, tenant_id, role, key_hash, name, scopes, expires_at, created_by)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING created_at`,
		k.ID, k.TenantID, string(k.Role), hashKey(k.Key), k.Name, scopes, k.ExpiresAt, k.CreatedBy).Scan(&k.CreatedAt)
	if isInvalidID(err) || (err != nil && strings.Contains(err.Error(), "api_keys_tenant_id_fkey")) {
		return pipeline.APIKey{}, fmt.Errorf("tenant %q: %w", spec.TenantID, derrors.NotFound)
	}
	return k, err
}

const keyColumns = `id, tenant_id, role, name, scopes, expires_at, created_at, created_by, last_used_at, revoked_at,
	coalesce(rotated_to::text, '')`

func scanKey(row pgx.Row) (pipeline.APIKey, error) {
	var k pipeline.APIKey
	var role string
	err := row.Scan(&k.ID, &k.TenantID, &role, &k.Name, &k.Scopes, &k.ExpiresAt, &k.CreatedAt, &k.CreatedBy,
		&k.LastUsedAt, &k.RevokedAt, &k.RotatedTo)
	k.Role = pipeline.Role(role)
	if len(k.Scopes) == 0 {
		k.Scopes = nil
	}
	return k, err
}

// APIKeys lists the tenant's keys (never their secrets), newest first.
func (s *Store) APIKeys(ctx context.Context, tenantID string) ([]pipeline.APIKey, error) {
	return queryAll(ctx, s, scanKey, "SELECT "+keyColumns+" FROM api_keys WHERE tenant_id = $1 ORDER BY created_at DESC, id", tenantID)
}

// APIKey returns one of the tenant's keys.
func (s *Store) APIKey(ctx context.Context, tenantID, id string) (pipeline.APIKey, error) {
	k, err := scanKey(s.pool.QueryRow(ctx, "SELECT "+keyColumns+" FROM api_keys WHERE tenant_id = $1 AND id = $2", tenantID, id))
	if isInvalidID(err) {
		return k, fmt.Errorf("api key %q: %w", id, derrors.NotFound)
	}
	return k, notFound(err, "api key")
}

// RevokeAPIKey revokes one of the tenant's keys at once.
func (s *Store) RevokeAPIKey(ctx context.Context, p pipeline.Principal, id string) (pipeline.APIKey, error) {
	var k pipeline.APIKey
	err := WithTx(ctx, s.pool, func(tx pgx.Tx) error {
		var err error
		k, err = scanKey(tx.QueryRow(ctx, `UPDATE api_keys SET revoked_at = coalesce(revoked_at, now())
			WHERE tenant_id = $1 AND id = $2 RETURNING `+keyColumns, p.TenantID, id))
		if isInvalidID(err) {
			return fmt.Errorf("api key %q: %w", id, derrors.NotFound)
		}
		if err != nil {
			return notFound(err, "api key")
		}
		return s.audit(ctx, tx, pipeline.AuditEntry{TenantID: p.TenantID, Actor: p.KeyID, Action: "apikey.revoked",
			Details: map[string]any{"key_id": id}})
	})
	return k, err
}

// RotateAPIKey makes a successor of a key (same role, name and scopes)
// and lets the old one work for grace more (so that clients can switch
// without downtime; 0 ends it now). It returns the new key with its secret.
func (s *Store) RotateAPIKey(ctx context.Context, p pipeline.Principal, id string, grace time.Duration) (pipeline.APIKey, error) {
	var nk pipeline.APIKey
	err := WithTx(ctx, s.pool, func(tx pgx.Tx) error {
		old, err := scanKey(tx.QueryRow(ctx, "SELECT "+keyColumns+" FROM api_keys WHERE tenant_id = $1 AND id = $2 FOR UPDATE", p.TenantID, id))
		if isInvalidID(err) {
			return fmt.Errorf("api key %q: %w", id, derrors.NotFound)
		}
		if err != nil {
			return notFound(err, "api key")
		}
		if old.RevokedAt != nil || old.RotatedTo != "" {
			return fmt.Errorf("%w: the key was revoked or rotated already", derrors.Conflict)
		}
		if nk, err = createKey(ctx, tx, pipeline.KeySpec{TenantID: old.TenantID, Role: old.Role, Name: old.Name,
			Scopes: old.Scopes, ExpiresAt: old.ExpiresAt, CreatedBy: p.KeyID}); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE api_keys SET rotated_to = $2,
			expires_at = LEAST(coalesce(expires_at, 'infinity'), now() + $3 * interval '1 second') WHERE id = $1`,
			id, nk.ID, grace.Seconds()); err != nil {
			return err
		}
		return s.audit(ctx, tx, pipeline.AuditEntry{TenantID: p.TenantID, Actor: p.KeyID, Action: "apikey.rotated",
			Details: map[string]any{"key_id": id, "new_key_id": nk.ID, "grace_seconds": int(grace.Seconds())}})
	})
	return nk, err
}

// Authenticate returns the principal of a valid API key (not revoked, not
// expired) and records when it was last used (at most once a minute, so
// that busy keys do not write on every request).
func (s *Store) Authenticate(ctx context.Context, secret string) (pipeline.Principal, error) {
	if !strings.HasPrefix(secret, keyPrefix) {
		return pipeline.Principal{}, derrors.Unauthenticated
	}
	var p pipeline.Principal
	var role string
	var stale bool
	err := s.pool.QueryRow(ctx, `SELECT id, tenant_id, role, scopes,
			last_used_at IS NULL OR last_used_at < now() - interval '1 minute'
		FROM api_keys WHERE key_hash = $1 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now())`,
		hashKey(secret)).Scan(&p.KeyID, &p.TenantID, &role, &p.Scopes, &stale)
	if err != nil {
		if nf := notFound(err, "api key"); nf != err {
			return pipeline.Principal{}, derrors.Unauthenticated
		}
		return pipeline.Principal{}, err
	}
	if stale {
		if _, err := s.pool.Exec(ctx, "UPDATE api_keys SET last_used_at = now() WHERE id = $1", p.KeyID); err != nil {
			return pipeline.Principal{}, err
		}
	}
	if len(p.Scopes) == 0 {
		p.Scopes = nil
	}
	p.Role = pipeline.Role(role)
	return p, nil
}

func hashKey(secret string) []byte {
	h := sha256.Sum256([]byte(secret))
	return h[:]
}
