package filecrypt

import (
	"context"
	"time"
)

// DataKey is one version of a tenant's data key as it is kept: wrapped
// (sealed by the master keyring), never in the clear.
type DataKey struct {
	TenantID string
	Version  int
	// Wrapped is keyring.Seal of the 32-byte key with the context
	// "tenant:<id>:dek:<version>"; empty once the version is retired.
	Wrapped   string
	CreatedAt time.Time
	// RetiredAt is set when the version was retired and its key erased.
	RetiredAt *time.Time
}

// KeyStore keeps the tenants' wrapped data keys (storage/postgres).
type KeyStore interface {
	// DataKeys returns a tenant's data keys by version, or every tenant's
	// (by tenant, then version) when tenantID is "".
	DataKeys(ctx context.Context, tenantID string) ([]DataKey, error)
	// InsertDataKey adds a version; derrors.Conflict when it exists.
	InsertDataKey(ctx context.Context, k DataKey) error
	// RewrapDataKey replaces a version's wrapped key with next if it is
	// still old, and reports whether it did.
	RewrapDataKey(ctx context.Context, tenantID string, version int, old, next string) (bool, error)
	// RetireDataKey erases a version's wrapped key and marks it retired;
	// derrors.Conflict when it is the tenant's newest version.
	RetireDataKey(ctx context.Context, tenantID string, version int) error
}
