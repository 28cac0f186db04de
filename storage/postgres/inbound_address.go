package postgres

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/docflow/docflow/derrors"
	"github.com/jackc/pgx/v5"
)

// InboundAddress is a token at which a tenant receives mail over SMTP.
type InboundAddress struct {
	Token     string    `json:"token"`
	TenantID  string    `json:"tenant_id"`
	CreatedAt time.Time `json:"created_at"`
}

// CreateInboundAddress makes a new random token (20 characters of
// base32, 100 bits) for the tenant.
func (s *Store) CreateInboundAddress(ctx context.Context, tenantID string) (InboundAddress, error) {
	b := make([]byte, 13)
	if _, err := rand.Read(b); err != nil {
		return InboundAddress{}, err
	}
	a := InboundAddress{Token: strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b))[:20], TenantID: tenantID}
	err := s.pool.QueryRow(ctx, "INSERT INTO inbound_addresses (token, tenant_id) VALUES ($1, $2) RETURNING created_at",
		a.Token, tenantID).Scan(&a.CreatedAt)
	return a, err
}

// InboundAddresses lists the tenant's enabled addresses.
func (s *Store) InboundAddresses(ctx context.Context, tenantID string) ([]InboundAddress, error) {
	rows, err := s.pool.Query(ctx, `SELECT token, tenant_id::text, created_at FROM inbound_addresses
		WHERE tenant_id = $1 AND disabled_at IS NULL ORDER BY created_at`, tenantID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []InboundAddress{}
	for rows.Next() {
		var a InboundAddress
		if err := rows.Scan(&a.Token, &a.TenantID, &a.CreatedAt); err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// InboundTenant returns the tenant of an enabled address token.
func (s *Store) InboundTenant(ctx context.Context, token string) (string, error) {
	var tenant string
	err := s.pool.QueryRow(ctx, "SELECT tenant_id::text FROM inbound_addresses WHERE token = $1 AND disabled_at IS NULL",
		strings.ToLower(token)).Scan(&tenant)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", fmt.Errorf("address %q: %w", token, derrors.NotFound)
	}
	return tenant, err
}
