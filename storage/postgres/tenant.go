package postgres

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"

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

// CreateAPIKey makes a new random key for a tenant and role. Only its hash
// is stored; the secret is in the returned key and nowhere else.
func (s *Store) CreateAPIKey(ctx context.Context, tenantID string, role pipeline.Role) (pipeline.APIKey, error) {
	if !pipeline.ValidRole(role) {
		return pipeline.APIKey{}, fmt.Errorf("%w: role %q: want uploader, reviewer, admin or auditor", derrors.InvalidArgument, role)
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return pipeline.APIKey{}, err
	}
	k := pipeline.APIKey{ID: uuid.NewString(), Key: keyPrefix + base64.RawURLEncoding.EncodeToString(raw), TenantID: tenantID, Role: role}
	_, err := s.pool.Exec(ctx, "INSERT INTO api_keys (id, tenant_id, role, key_hash) VALUES ($1, $2, $3, $4)",
		k.ID, k.TenantID, string(k.Role), hashKey(k.Key))
	if isInvalidID(err) || (err != nil && strings.Contains(err.Error(), "api_keys_tenant_id_fkey")) {
		return pipeline.APIKey{}, fmt.Errorf("tenant %q: %w", tenantID, derrors.NotFound)
	}
	return k, err
}

// Authenticate returns the principal of an API key, and records its use.
func (s *Store) Authenticate(ctx context.Context, secret string) (pipeline.Principal, error) {
	if !strings.HasPrefix(secret, keyPrefix) {
		return pipeline.Principal{}, derrors.Unauthenticated
	}
	var p pipeline.Principal
	var role string
	err := s.pool.QueryRow(ctx, `UPDATE api_keys SET last_used_at = now()
		WHERE key_hash = $1 AND revoked_at IS NULL
		RETURNING id, tenant_id, role`, hashKey(secret)).Scan(&p.KeyID, &p.TenantID, &role)
	if err != nil {
		if nf := notFound(err, "api key"); nf != err {
			return pipeline.Principal{}, derrors.Unauthenticated
		}
		return pipeline.Principal{}, err
	}
	p.Role = pipeline.Role(role)
	return p, nil
}

func hashKey(secret string) []byte {
	h := sha256.Sum256([]byte(secret))
	return h[:]
}
