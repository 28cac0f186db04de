package postgres

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"strings"

	"github.com/docflow/docflow/derrors"
	"github.com/docflow/docflow/pipeline"
	"github.com/google/uuid"
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

// CreateAPIKey makes a new random key for a tenant and role. Only its hash
// is stored; the secret is in the returned key and nowhere else.
func (s *Store) CreateAPIKey(ctx context.Context, tenantID string, role pipeline.Role) (pipeline.APIKey, error) {
	if !pipeline.ValidRole(role) {
		return pipeline.APIKey{}, fmt.Errorf("%w: role %q: want uploader, reviewer or admin", derrors.InvalidArgument, role)
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
