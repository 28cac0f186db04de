package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/docflow/docflow/derrors"
	"github.com/docflow/docflow/storage/filecrypt"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// DataKeys keeps the tenants' wrapped data keys for storage/filecrypt.
type DataKeys struct {
	pool *pgxpool.Pool
}

var _ filecrypt.KeyStore = (*DataKeys)(nil)

// NewDataKeys returns the data keys kept in pool.
func NewDataKeys(pool *pgxpool.Pool) *DataKeys { return &DataKeys{pool: pool} }

// DataKeys returns a tenant's data keys by version, or every tenant's when
// tenantID is "".
func (d *DataKeys) DataKeys(ctx context.Context, tenantID string) ([]filecrypt.DataKey, error) {
	const cols = "SELECT tenant_id::text, version, coalesce(wrapped, ''), created_at, retired_at FROM tenant_data_keys"
	var rows pgx.Rows
	var err error
	if tenantID == "" {
		rows, err = d.pool.Query(ctx, cols+" ORDER BY tenant_id, version")
	} else {
		rows, err = d.pool.Query(ctx, cols+" WHERE tenant_id = $1 ORDER BY version", tenantID)
	}
	if isInvalidID(err) {
		return nil, fmt.Errorf("tenant %q: %w", tenantID, derrors.NotFound)
	}
	if err != nil {
		return nil, err
	}
	keys, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (filecrypt.DataKey, error) {
		var k filecrypt.DataKey
		var retired *time.Time
		err := row.Scan(&k.TenantID, &k.Version, &k.Wrapped, &k.CreatedAt, &retired)
		k.RetiredAt = retired
		return k, err
	})
	if isInvalidID(err) {
		return nil, fmt.Errorf("tenant %q: %w", tenantID, derrors.NotFound)
	}
	return keys, err
}

// InsertDataKey adds a version of a tenant's data key; derrors.Conflict
// when the version exists, derrors.NotFound when the tenant does not.
func (d *DataKeys) InsertDataKey(ctx context.Context, k filecrypt.DataKey) error {
	_, err := d.pool.Exec(ctx, "INSERT INTO tenant_data_keys (tenant_id, version, wrapped) VALUES ($1, $2, $3)",
		k.TenantID, k.Version, k.Wrapped)
	switch {
	case isUniqueViolation(err, "tenant_data_keys_pkey"):
		return fmt.Errorf("%w: tenant %s already has data key version %d", derrors.Conflict, k.TenantID, k.Version)
	case isInvalidID(err) || isTenantMissing(err):
		return fmt.Errorf("tenant %q: %w", k.TenantID, derrors.NotFound)
	}
	return err
}

// RewrapDataKey replaces a live version's wrapped key with next if it is
// still old, and reports whether it did.
func (d *DataKeys) RewrapDataKey(ctx context.Context, tenantID string, version int, old, next string) (bool, error) {
	tag, err := d.pool.Exec(ctx, `UPDATE tenant_data_keys SET wrapped = $4, rewrapped_at = now()
		WHERE tenant_id = $1 AND version = $2 AND wrapped = $3 AND retired_at IS NULL`, tenantID, version, old, next)
	return tag.RowsAffected() == 1, err
}

// RetireDataKey erases a version's wrapped key and marks it retired. The
// newest version, which seals new files, cannot be retired
// (derrors.Conflict).
func (d *DataKeys) RetireDataKey(ctx context.Context, tenantID string, version int) error {
	tag, err := d.pool.Exec(ctx, `UPDATE tenant_data_keys SET wrapped = NULL, retired_at = now()
		WHERE tenant_id = $1 AND version = $2 AND retired_at IS NULL
		AND version < (SELECT max(version) FROM tenant_data_keys WHERE tenant_id = $1)`, tenantID, version)
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("%w: data key version %d of tenant %s is retired, missing or current", derrors.Conflict, version, tenantID)
	}
	return nil
}

// isTenantMissing reports whether err is a data key's tenant not existing.
func isTenantMissing(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "23503" && pe.ConstraintName == "tenant_data_keys_tenant_id_fkey"
}
